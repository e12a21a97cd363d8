DROP TABLE IF EXISTS `authtoken_token`;

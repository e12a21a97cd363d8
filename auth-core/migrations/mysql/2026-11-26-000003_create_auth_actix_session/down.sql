DROP TABLE IF EXISTS `auth_actix_session`;

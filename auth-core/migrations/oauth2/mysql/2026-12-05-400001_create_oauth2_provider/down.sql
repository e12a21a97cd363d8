SET FOREIGN_KEY_CHECKS = 0;
DROP TABLE IF EXISTS `oauth2_provider_refreshtoken`;
DROP TABLE IF EXISTS `oauth2_provider_accesstoken`;
DROP TABLE IF EXISTS `oauth2_provider_grant`;
DROP TABLE IF EXISTS `oauth2_provider_idtoken`;
DROP TABLE IF EXISTS `oauth2_provider_application`;
SET FOREIGN_KEY_CHECKS = 1;

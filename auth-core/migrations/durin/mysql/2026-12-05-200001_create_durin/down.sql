-- Drops Durin's tables (tokens first: they reference the clients).
DROP TABLE IF EXISTS `durin_authtoken`;
DROP TABLE IF EXISTS `durin_client`;

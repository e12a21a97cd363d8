-- Drops the blacklist tables (blacklisted rows first).
DROP TABLE IF EXISTS `token_blacklist_blacklistedtoken`;
DROP TABLE IF EXISTS `token_blacklist_outstandingtoken`;

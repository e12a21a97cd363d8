-- Django-Rest-Durin 1.1.0's tables on MySQL/MariaDB as Django 5.2 leaves them after
-- `migrate durin` (`manage.py sqlmigrate durin 0001` and `0002`: 0002 adds `throttle_rate` and
-- widens the ids to bigint, renaming the client foreign key and its index to `…_fk`).
-- `token_ttl` is Django's DurationField: a bigint of microseconds. MySQL has no CREATE INDEX IF
-- NOT EXISTS, so the keys are declared in the CREATE TABLE IF NOT EXISTS with Django's names;
-- Django declares no ON DELETE CASCADE (the store deletes a user's tokens itself). On a database
-- Django has migrated this changes nothing.
CREATE TABLE IF NOT EXISTS `durin_client` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(64) NOT NULL UNIQUE, `token_ttl` bigint NOT NULL, `throttle_rate` varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `durin_authtoken` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `token` varchar(64) NOT NULL UNIQUE, `created` datetime(6) NOT NULL, `expiry` datetime(6) NOT NULL, `client_id` bigint NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `unique token for user per client` UNIQUE (`user_id`, `client_id`), KEY `durin_authtoken_client_id_cb198c64_fk` (`client_id`), CONSTRAINT `durin_authtoken_client_id_cb198c64_fk` FOREIGN KEY (`client_id`) REFERENCES `durin_client` (`id`), CONSTRAINT `durin_authtoken_user_id_52a09c56_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- DRF 3.18's authtoken_token (rest_framework.authtoken migrations 0001-0004),
-- with Django's foreign key name. Django emits no ON DELETE CASCADE (it
-- cascades in Python); ours adds it, and the store deletes tokens itself so
-- Django-made databases behave the same.
CREATE TABLE IF NOT EXISTS `authtoken_token` (`key` varchar(40) NOT NULL PRIMARY KEY, `created` datetime(6) NOT NULL, `user_id` integer NOT NULL UNIQUE, CONSTRAINT `authtoken_token_user_id_35299eff_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

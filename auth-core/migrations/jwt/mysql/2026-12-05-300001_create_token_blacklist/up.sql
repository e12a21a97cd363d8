-- djangorestframework-simplejwt 5.5.1's blacklist app (token_blacklist
-- migrations 0001-0013) as Django 5.2 creates its final tables, with Django's
-- foreign key names. Django emits no ON DELETE actions (it sets NULL and
-- cascades in Python); ours adds them, and the store deletes blacklisted rows
-- itself so Django-made databases behave the same.
CREATE TABLE IF NOT EXISTS `token_blacklist_outstandingtoken` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `user_id` integer NULL, `jti` varchar(255) NOT NULL UNIQUE, `token` longtext NOT NULL, `created_at` datetime(6) NULL, `expires_at` datetime(6) NOT NULL, CONSTRAINT `token_blacklist_outs_user_id_83bc629a_fk_auth_user` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`) ON DELETE SET NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `token_blacklist_blacklistedtoken` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `token_id` bigint NOT NULL UNIQUE, `blacklisted_at` datetime(6) NOT NULL, CONSTRAINT `token_blacklist_blac_token_id_3cc7fe56_fk_token_bla` FOREIGN KEY (`token_id`) REFERENCES `token_blacklist_outstandingtoken` (`id`) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

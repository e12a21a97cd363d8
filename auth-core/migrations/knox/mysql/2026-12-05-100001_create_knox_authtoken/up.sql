-- django-rest-knox 5.1.0's knox_authtoken (knox migrations 0001-0009, as Django 5.2's migrate
-- leaves it: the columns in the order the migrations added them, Django's key and constraint
-- names). Django emits no ON DELETE CASCADE (it cascades in Python); ours adds it, and the store
-- deletes a user's tokens itself (relations::KNOX_RELATIONS) so Django-made databases behave the
-- same.
CREATE TABLE IF NOT EXISTS `knox_authtoken` (`digest` varchar(128) NOT NULL PRIMARY KEY, `created` datetime(6) NOT NULL, `user_id` integer NOT NULL, `expiry` datetime(6) NULL, `token_key` varchar(25) NOT NULL, KEY `knox_authtoken_token_key_8f4f7d47` (`token_key`), CONSTRAINT `knox_authtoken_user_id_e5a5d899_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

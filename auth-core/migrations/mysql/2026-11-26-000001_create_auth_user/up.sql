-- Django 5.2's auth_user as django.contrib.auth's migrations 0001-0012 leave it
-- (`manage.py sqlmigrate auth 0001..0012` on MySQL/MariaDB). InnoDB and utf8mb4
-- are stated so the table works on servers with older defaults. IF NOT EXISTS:
-- on a database Django has migrated this changes nothing.
CREATE TABLE IF NOT EXISTS `auth_user` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `password` varchar(128) NOT NULL, `last_login` datetime(6) NULL, `is_superuser` bool NOT NULL, `username` varchar(150) NOT NULL UNIQUE, `first_name` varchar(150) NOT NULL, `last_name` varchar(150) NOT NULL, `email` varchar(254) NOT NULL, `is_staff` bool NOT NULL, `is_active` bool NOT NULL, `date_joined` datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Django 5.2's django.contrib.sessions 0001 on MySQL/MariaDB (`manage.py sqlmigrate sessions
-- 0001`): the `db` session engine's table, read and written by Django and by our Django session
-- store. MySQL has no CREATE INDEX IF NOT EXISTS, so the expiry index is declared in the CREATE
-- TABLE IF NOT EXISTS with Django's name; InnoDB and utf8mb4 are stated as for auth_user. On a
-- database Django has migrated this changes nothing.
CREATE TABLE IF NOT EXISTS `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL, KEY `django_session_expire_date_a5c62663` (`expire_date`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

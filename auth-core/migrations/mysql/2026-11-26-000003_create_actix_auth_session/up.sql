-- Server-side sessions for actix-session's Diesel store. Our own table (Django's
-- is django_session): the key is stored only as its SHA-256, expired rows count
-- as absent and are removed by `clearsessions`; user_id lets all of a user's
-- sessions be ended at once (no foreign key: deleting a user never fails on it).
-- longtext as Django uses for a TextField; ascii_bin makes the hash compare exactly.
CREATE TABLE `actix_auth_session` (`key_hash` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL, `user_id` integer NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `actix_auth_session_expire_date` ON `actix_auth_session` (`expire_date`);
CREATE INDEX `actix_auth_session_user_id` ON `actix_auth_session` (`user_id`);

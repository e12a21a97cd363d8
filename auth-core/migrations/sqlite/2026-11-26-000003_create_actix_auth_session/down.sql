DROP TABLE IF EXISTS "actix_auth_session";

DROP TABLE IF EXISTS "auth_user";

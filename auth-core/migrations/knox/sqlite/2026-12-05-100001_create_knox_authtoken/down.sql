DROP TABLE IF EXISTS "knox_authtoken";

DROP TABLE IF EXISTS "oauth2_provider_refreshtoken" CASCADE;
DROP TABLE IF EXISTS "oauth2_provider_accesstoken" CASCADE;
DROP TABLE IF EXISTS "oauth2_provider_grant" CASCADE;
DROP TABLE IF EXISTS "oauth2_provider_idtoken" CASCADE;
DROP TABLE IF EXISTS "oauth2_provider_application" CASCADE;

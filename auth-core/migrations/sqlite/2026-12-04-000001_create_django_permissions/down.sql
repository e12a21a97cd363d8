DROP TABLE IF EXISTS "auth_user_user_permissions";
DROP TABLE IF EXISTS "auth_user_groups";
DROP TABLE IF EXISTS "auth_group_permissions";
DROP TABLE IF EXISTS "auth_group";
DROP TABLE IF EXISTS "auth_permission";
DROP TABLE IF EXISTS "django_content_type";

DROP INDEX users_by_role;
DROP INDEX users_by_creation;

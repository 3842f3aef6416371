DROP TABLE notifications;
DROP TABLE recipients;

-- The guestbook's schema, created on the primary when the lab comes up
-- (lab/lab.sh) and replicated from there like every other change.
CREATE DATABASE guestbook CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE guestbook.entries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,          -- GB_NAME_MAX in guestbook.php
  message VARCHAR(500) NOT NULL,      -- GB_MESSAGE_MAX
  written_via VARCHAR(16) NOT NULL,   -- the web server that took the POST
  created DATETIME NOT NULL DEFAULT (UTC_TIMESTAMP())
) ENGINE = InnoDB;

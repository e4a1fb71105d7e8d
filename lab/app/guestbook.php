<?php
// The guestbook's database side. Which MariaDB takes the writes (the
// primary) and which answer reads (this server's own first, then the other
// one) comes from app.ini, which lab/lab.sh writes for each web server and
// `lab.sh promote` rewrites; it is read on every request (PHP shares
// nothing between requests), so pointing the writes elsewhere needs no
// restart. Connections are opened per request and closed with it.
//
// Errors: every database failure becomes a GuestbookUnavailable with a
// message fit for a visitor; the details (server, MariaDB error) go to the
// php-fpm log through error_log(), not to the page.
declare(strict_types=1);

const GB_NAME_MAX = 40;          // characters; the column is VARCHAR(40)
const GB_MESSAGE_MAX = 500;      // characters; the column is VARCHAR(500)
const GB_LIST_MAX = 20;          // newest entries shown on the page
const GB_TIMEOUT_S = 2;          // connect and read timeout, per server
const GB_ER_READ_ONLY = 1290;    // ER_OPTION_PREVENTS_STATEMENT (read_only)

final class GuestbookUnavailable extends RuntimeException
{
}

function gb_config(): array
{
    $path = getenv('GUESTBOOK_CONFIG') ?: __DIR__ . '/app.ini';
    $cfg = @parse_ini_file($path, true, INI_SCANNER_RAW);
    if ($cfg === false || !isset($cfg['app']['server'], $cfg['db']['write'], $cfg['db']['read'])) {
        error_log("guestbook: $path: cannot read, or [app] server / [db] write, read missing");
        throw new GuestbookUnavailable('The guestbook is not configured.');
    }
    return $cfg;
}

// gb_connect: WHERE is "local" (this server's MariaDB, by its socket) or
// the address of the other one.
function gb_connect(array $db, string $where): mysqli
{
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    $link = mysqli_init();
    $link->options(MYSQLI_OPT_CONNECT_TIMEOUT, GB_TIMEOUT_S);
    $link->options(MYSQLI_OPT_READ_TIMEOUT, GB_TIMEOUT_S);
    if ($where === 'local') {
        $link->real_connect('localhost', $db['user'], $db['password'], $db['database'], 0, $db['socket']);
    } else {
        $link->real_connect($where, $db['user'], $db['password'], $db['database'], 3306);
    }
    $link->set_charset('utf8mb4');
    return $link;
}

// gb_read: the newest entries from the first database that answers, with
// the name of the server that answered and whether it is read-only (a
// replica). Reads go on while the primary is down as long as a replica is.
function gb_read(array $cfg): array
{
    foreach (array_map('trim', explode(',', $cfg['db']['read'])) as $where) {
        try {
            $link = gb_connect($cfg['db'], $where);
            [$host, $ro] = $link->query('SELECT @@hostname, @@read_only')->fetch_row();
            $rows = $link->query('SELECT name, message, written_via, created FROM entries'
                . ' ORDER BY id DESC LIMIT ' . GB_LIST_MAX)->fetch_all(MYSQLI_ASSOC);
            $link->close();
            return ['from' => $host, 'replica' => $ro === '1', 'entries' => $rows];
        } catch (mysqli_sql_exception $e) {
            error_log("guestbook: read from $where failed: " . $e->getMessage());
        }
    }
    throw new GuestbookUnavailable('The guestbook cannot be read right now: none of its databases answers.');
}

// gb_write: adds an entry on the primary; returns the name of the server
// that stored it. There is one primary: when it is down, writes fail (the
// documented single point of failure) until an operator promotes the
// replica (lab/lab.sh promote).
function gb_write(array $cfg, string $name, string $message): string
{
    $where = $cfg['db']['write'];
    try {
        $link = gb_connect($cfg['db'], $where);
        $stmt = $link->prepare('INSERT INTO entries (name, message, written_via) VALUES (?, ?, ?)');
        $via = $cfg['app']['server'];
        $stmt->bind_param('sss', $name, $message, $via);
        $stmt->execute();
        $host = $link->query('SELECT @@hostname')->fetch_row()[0];
        $link->close();
        return $host;
    } catch (mysqli_sql_exception $e) {
        error_log("guestbook: write to $where failed: " . $e->getMessage());
        if ($e->getCode() === GB_ER_READ_ONLY) {
            throw new GuestbookUnavailable('New entries cannot be stored right now: the database'
                . ' this server writes to is a read-only replica. Reading still works.');
        }
        throw new GuestbookUnavailable('New entries cannot be stored right now: the database'
            . ' primary does not answer. Reading still works; please try again later.');
    }
}

// gb_field: a form field as trimmed UTF-8 of 1..MAX characters, or null.
function gb_field(array $form, string $key, int $max): ?string
{
    $v = $form[$key] ?? null;
    if (!is_string($v) || preg_match('//u', $v) !== 1) {
        return null;
    }
    $v = trim($v);
    $len = iconv_strlen($v, 'UTF-8');
    return ($len === false || $len < 1 || $len > $max) ? null : $v;
}

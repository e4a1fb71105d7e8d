<?php
// The foobar.com guestbook, the application behind nginx on web-01 and
// web-02 (php-fpm, one front controller: nginx sends every request for /
// here and nothing else). GET / lists the newest entries, POST / adds one
// and answers 303 See Other back to / (so a reload does not post twice).
// The page says which web server answered (id="server", the tour checks
// the alternation by it) and which database the entries came from
// (id="read-from"). A database failure is an HTTP 503 with a message that
// says what does and does not work (id="error").
declare(strict_types=1);

require __DIR__ . '/guestbook.php';

function h(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_HTML5 | ENT_SUBSTITUTE, 'UTF-8');
}

function page(string $server, string $title, string $body): void
{
    echo "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", h($title),
        "</title></head>\n<body><h1>", h($title), "</h1>\n<p>served by <b id=\"server\">", h($server),
        "</b>, behind the Rampart gateways.</p>\n", $body, "</body></html>\n";
}

function fail(string $server, int $code, string $message): void
{
    http_response_code($code);
    if ($code === 503) {
        header('Retry-After: 30');
    }
    page($server, 'foobar.com guestbook', '<p id="error">' . h($message) . "</p>\n");
}

function show_entries(array $cfg): void
{
    $read = gb_read($cfg);
    $from = h($read['from']) . ($read['replica'] ? ' (read-only replica)' : ' (primary)');
    $body = "<p>entries read from the database on <b id=\"read-from\">$from</b>;"
        . ' new entries go to <b id="write-to">' . h($cfg['db']['write_name'] ?? $cfg['db']['write']) . "</b>.</p>\n"
        . "<form method=\"post\" action=\"/\">\n"
        . '<p><label>name <input name="name" maxlength="' . GB_NAME_MAX . "\" required></label></p>\n"
        . '<p><label>message <textarea name="message" maxlength="' . GB_MESSAGE_MAX . "\" required></textarea></label></p>\n"
        . "<p><button>sign the guestbook</button></p>\n</form>\n<ul id=\"entries\">\n";
    foreach ($read['entries'] as $e) {
        $body .= '<li><b>' . h($e['name']) . '</b>: ' . h($e['message']) . ' <small>(via '
            . h($e['written_via']) . ', ' . h($e['created']) . " UTC)</small></li>\n";
    }
    page($cfg['app']['server'], 'foobar.com guestbook', $body . "</ul>\n");
}

function add_entry(array $cfg): void
{
    $name = gb_field($_POST, 'name', GB_NAME_MAX);
    $message = gb_field($_POST, 'message', GB_MESSAGE_MAX);
    if ($name === null || $message === null) {
        fail($cfg['app']['server'], 400, 'A name (1 to ' . GB_NAME_MAX . ' characters) and a message (1 to '
            . GB_MESSAGE_MAX . ' characters) of UTF-8 text are needed.');
        return;
    }
    $stored_on = gb_write($cfg, $name, $message);
    http_response_code(303);
    header('Location: /');
    page($cfg['app']['server'], 'foobar.com guestbook', '<p>Thank you: your entry is stored on the primary'
        . ' <b id="written-to">' . h($stored_on) . "</b>. <a href=\"/\">Back to the guestbook</a>.</p>\n");
}

header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
$server = gethostname() ?: 'unknown';
try {
    $cfg = gb_config();
    $server = $cfg['app']['server'];
    switch ($_SERVER['REQUEST_METHOD'] ?? 'GET') {
        case 'GET':
        case 'HEAD':
            show_entries($cfg);
            break;
        case 'POST':
            add_entry($cfg);
            break;
        default:
            header('Allow: GET, HEAD, POST');
            fail($server, 405, 'Only GET, HEAD and POST are served here.');
    }
} catch (GuestbookUnavailable $e) {
    fail($server, 503, $e->getMessage());
}

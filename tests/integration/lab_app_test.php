<?php
// Checks of the lab's guestbook (lab/app/guestbook.php) that need no
// database: the form's limits at their boundaries, and what a write or a
// read says when no database answers. Run by lab_app.sh; prints one
// "ok - NAME" or "not ok - NAME" line per check.
declare(strict_types=1);

require getenv('RAMPART_ROOT') . '/lab/app/guestbook.php';

function check(string $name, bool $cond, string $detail = ''): void
{
    echo ($cond ? 'ok' : 'not ok') . " - $name" . ($cond || $detail === '' ? '' : " # $detail") . "\n";
}

$field = fn(string $v, int $max) => gb_field(['f' => $v], 'f', $max);
check('a name of GB_NAME_MAX characters is taken', $field(str_repeat('a', GB_NAME_MAX), GB_NAME_MAX) !== null);
check('a name of GB_NAME_MAX + 1 characters is refused', $field(str_repeat('a', GB_NAME_MAX + 1), GB_NAME_MAX) === null);
check('GB_NAME_MAX counts characters, not bytes (é is 2 bytes)',
    $field(str_repeat('é', GB_NAME_MAX), GB_NAME_MAX) === str_repeat('é', GB_NAME_MAX));
check('a message of GB_MESSAGE_MAX characters is taken',
    $field(str_repeat('m', GB_MESSAGE_MAX), GB_MESSAGE_MAX) !== null);
check('a message of GB_MESSAGE_MAX + 1 characters is refused',
    $field(str_repeat('m', GB_MESSAGE_MAX + 1), GB_MESSAGE_MAX) === null);
check('an empty or blank field is refused', $field('', 10) === null && $field(" \t\n", 10) === null);
check('surrounding blanks are trimmed', $field('  hi  ', 10) === 'hi');
check('invalid UTF-8 is refused', $field("caf\xe9", 10) === null);
check('a missing or non-string field is refused',
    gb_field([], 'f', 10) === null && gb_field(['f' => ['x']], 'f', 10) === null);

// no database answers: a socket that does not exist, an address nobody has
$dir = sys_get_temp_dir() . '/rampart-lab-app-' . getmypid();
$cfg = ['app' => ['server' => 'web-test'],
    'db' => ['user' => 'app', 'password' => 'x', 'database' => 'guestbook',
        'socket' => "$dir/none.sock", 'write' => 'local', 'read' => 'local, 127.0.0.1']];
ini_set('error_log', '/dev/null');
$caught = function (callable $f): string {
    try {
        $f();
        return '(no exception)';
    } catch (GuestbookUnavailable $e) {
        return $e->getMessage();
    }
};
$msg = $caught(fn() => gb_write($cfg, 'n', 'm'));
check('a write with the primary down says so, and that reading works',
    str_contains($msg, 'primary does not answer') && str_contains($msg, 'Reading still works'), $msg);
$msg = $caught(fn() => gb_read($cfg));
check('a read with no database answering says so', str_contains($msg, 'none of its databases answers'), $msg);
check('the messages name no address or socket', !str_contains($msg, '127.0.0.1') && !str_contains($msg, $dir), $msg);

putenv("GUESTBOOK_CONFIG=$dir/missing.ini");
$msg = $caught(fn() => gb_config());
check('a missing app.ini is reported as not configured', $msg === 'The guestbook is not configured.', $msg);

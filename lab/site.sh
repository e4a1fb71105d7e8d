# shellcheck shell=bash
# The site on the lab's web servers, sourced by lab.sh: on web-01 and web-02
# the guestbook (lab/app/, PHP under php-fpm, behind nginx) and MariaDB, the
# primary on web-01 and a GTID replica on web-02 (read_only). Each server's
# datadir, config, socket, PID file and logs are in $RUN/NAME/mysql; each
# process is started by lab.sh's spawn in its host's namespace and stopped
# by its PID. The system's MariaDB and php-fpm (/var/lib/mysql, the
# services) are never used, started or stopped.
#
# State in $RUN: db-primary (the primary's name, changed by promote),
# db-secrets (the lab's passwords, made at `up`, mode 600), NAME/app.ini
# (where the application writes and reads; rewritten by promote).

DB_WAIT_S=20 # a MariaDB start, or a replica catching up, slower than this fails

db_dir() { echo "$RUN/$1/mysql"; }
db_cnf() { echo "$RUN/$1/my.cnf"; }
peer_of() { [ "$1" = web-01 ] && echo web-02 || echo web-01; }
db_primary() { cat "$RUN/db-primary" 2>/dev/null; }

# sql HOST [ARGS...]: the mariadb client as root over HOST's socket (unix
# socket authentication: root@localhost has no password). SQL on stdin or -e.
sql() {
  local h=$1
  shift
  in_ns "$h" mariadb --defaults-file="$(db_cnf "$h")" -N -B "$@"
}

# The lab's passwords: random, made once per `up`, removed by `down`.
make_secrets() {
  (
    umask 077
    printf 'APP_PW=%s\nREPL_PW=%s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 16)" >"$RUN/db-secrets"
  ) || die "cannot write $RUN/db-secrets"
}
load_secrets() {
  # shellcheck source=/dev/null
  . "$RUN/db-secrets" 2>/dev/null || die "no $RUN/db-secrets: is the lab up?"
}

# MariaDB runs as mysql, the application as www-data, nginx's workers as
# nobody: each must be able to walk down to its files under $RUN.
check_run_reachable() {
  local u
  for u in $SERVICE_USERS; do
    setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups test -x "$RUN" 2>/dev/null && continue
    die "user $u cannot reach $RUN (a parent directory is closed to others, e.g. /root is 700):" \
      "run the lab elsewhere, e.g. LAB_RUN=/var/tmp/rampart-lab make demo"
  done
}

# ---- MariaDB ---------------------------------------------------------------------

# db_config HOST: my.cnf for HOST's role (read_only unless it is the primary).
db_config() {
  local h=$1 ro=ON
  [ "$(db_primary)" = "$h" ] && ro=OFF
  fill "$LAB_DIR/mariadb.cnf.in" "$(db_cnf "$h")" "NAME=$h" "DIR=$(db_dir "$h")" \
    "ADDR=${PRIV[$h]}" "SERVER_ID=${SERVER_ID[$h]}" "READ_ONLY=$ro"
}

# db_init HOST: a new, empty datadir of HOST's own (mariadb-install-db).
db_init() {
  local h=$1 d
  d=$(db_dir "$h")
  # 711: the services walk through to their sockets, nobody lists them
  install -d -m 755 "$RUN/$h" && install -d -m 711 -o mysql -g mysql "$d" || die "cannot make $d"
  db_config "$h"
  in_ns "$h" mariadb-install-db --defaults-file="$(db_cnf "$h")" --auth-root-authentication-method=socket \
    --skip-test-db >"$RUN/logs/$h-db-install.log" 2>&1 ||
    die "mariadb-install-db failed on $h (see $RUN/logs/$h-db-install.log)"
}

db_ready() {
  alive "$1-db" || return 2
  sql "$1" -e 'SELECT 1'
}

start_db() {
  local h=$1
  [ -d "$(db_dir "$h")/data" ] || die "no datadir for $h: is the lab up?"
  db_config "$h"
  spawn "$h-db" "$h" mariadbd --defaults-file="$(db_cnf "$h")"
  wait_until "$DB_WAIT_S" db_ready "$h" || die "MariaDB on $h did not start (see $(db_dir "$h")/error.log)"
}

stop_db() { stop "$1-db"; }

# db_create HOST: the guestbook's schema and the lab's users, on the primary
# (replicated from there: the replica starts from the first GTID).
db_create() {
  local h=$1 u w
  {
    cat "$LAB_DIR/app/schema.sql"
    # the application: read and add entries, nothing else; from its own
    # server (socket) and from the other web server
    for u in "'app'@'localhost'" "'app'@'${PRIV[web-01]}'" "'app'@'${PRIV[web-02]}'"; do
      echo "CREATE USER $u IDENTIFIED BY '$APP_PW'; GRANT SELECT, INSERT ON guestbook.entries TO $u;"
    done
    # replication, from either web server (either may be the replica)
    for w in $WEBS; do
      echo "CREATE USER 'repl'@'${PRIV[$w]}' IDENTIFIED BY '$REPL_PW';"
      echo "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'${PRIV[$w]}';"
    done
  } | sql "$h" || die "creating the guestbook database on $h failed"
}

# slave_field HOST FIELD: one field of SHOW SLAVE STATUS (empty: no replication)
slave_field() {
  in_ns "$1" mariadb --defaults-file="$(db_cnf "$1")" -e 'SHOW SLAVE STATUS\G' 2>/dev/null |
    awk -v f="$2:" '$1 == f {print $2}'
}

# db_catch_up HOST GTID_POS: waits until HOST has applied GTID_POS.
db_catch_up() {
  [ -z "$2" ] && return 0
  [ "$(sql "$1" -e "SELECT MASTER_GTID_WAIT('$2', $DB_WAIT_S)")" = 0 ]
}

# db_replicate HOST: HOST replicates from the primary by GTID, from the
# first transaction it lacks (slave_pos), and has caught up when this returns.
db_replicate() {
  local h=$1 p
  p=$(db_primary)
  sql "$h" <<SQL || die "configuring replication on $h failed"
CHANGE MASTER TO MASTER_HOST='${PRIV[$p]}', MASTER_PORT=3306, MASTER_USER='repl',
  MASTER_PASSWORD='$REPL_PW', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
  if ! db_catch_up "$h" "$(sql "$p" -e 'SELECT @@gtid_binlog_pos')"; then
    say "replica $h has not caught up with $p: $(slave_field "$h" Last_IO_Error) $(slave_field "$h" Last_SQL_Error)"
    return 1
  fi
}

# db_rejoin HOST: a server that is not the primary and does not replicate
# (the old primary after a promotion) replicates from the primary, starting
# after its own last transaction. If it holds transactions the primary never
# got (written just before it died), strict GTID mode stops replication
# with an error rather than mixing histories: an operator decides.
db_rejoin() {
  local h=$1
  [ -n "$(slave_field "$h" Master_Host)" ] && return 0
  sql "$h" -e 'SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos' || die "setting gtid_slave_pos on $h failed"
  db_replicate "$h" && say "$h replicates from $(db_primary) (read-only) and has caught up"
}

# db_up: both databases from scratch; web-01 primary, web-02 its replica.
db_up() {
  local h
  echo web-01 >"$RUN/db-primary"
  make_secrets
  load_secrets
  for h in $WEBS; do db_init "$h" && start_db "$h"; done
  db_create web-01
  db_replicate web-02 || die "replication web-01 -> web-02 did not start"
  say "databases: MariaDB primary on web-01, GTID replica on web-02 (read_only), replicating"
}

cmd_start_db() {
  local h=$1
  load_secrets
  start_db "$h"
  [ "$(db_primary)" = "$h" ] || db_rejoin "$h"
}

# cmd_promote NEW: the replica NEW becomes the primary, by hand, as an
# operator would: (1) if the old primary still runs, make it read-only so no
# write is lost (a switchover); (2) let NEW apply everything it received;
# (3) stop replication on NEW and turn read_only off; (4) point every web
# server's application at NEW for writes; (5) the old primary, now or when
# it is started again, becomes NEW's replica.
cmd_promote() {
  local new=$1 old
  [[ " $WEBS " == *" $new "* ]] || die "promote: no web server '$new' (one of: $WEBS)"
  old=$(db_primary)
  [ -n "$old" ] || die "no lab database is up"
  [ "$new" != "$old" ] || die "$new is already the primary"
  alive "$new-db" || die "MariaDB on $new is not running: nothing to promote"
  load_secrets
  if alive "$old-db"; then
    say "promote: $old is still running: making it read-only first (switchover, no write lost)"
    sql "$old" -e 'SET GLOBAL read_only = ON' || die "cannot make $old read-only"
    db_catch_up "$new" "$(sql "$old" -e 'SELECT @@gtid_binlog_pos')" || die "$new did not catch up with $old"
  else
    say "promote: $old is down; $new applies what it had received ($(slave_field "$new" Gtid_IO_Pos))"
    db_catch_up "$new" "$(slave_field "$new" Gtid_IO_Pos)" || die "$new did not apply its relay log"
  fi
  sql "$new" -e 'STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF' || die "cannot promote $new"
  echo "$new" >"$RUN/db-primary"
  db_config "$new" && db_config "$old" # the roles survive a restart
  say "promote: $new is the primary (replication stopped, read_only OFF, at $(sql "$new" -e 'SELECT @@gtid_current_pos'))"
  local h
  for h in $WEBS; do app_config "$h"; done
  say "promote: the guestbook on web-01 and web-02 now writes to $new"
  if alive "$old-db"; then
    db_rejoin "$old"
  else
    say "promote: $old stays down; \`lab.sh start-db $old\` brings it back as $new's replica"
  fi
}

cmd_db_status() {
  local h ro
  for h in $WEBS; do
    if ! alive "$h-db"; then
      printf '  %-7s MariaDB stopped\n' "$h"
      continue
    fi
    ro=$(sql "$h" -e 'SELECT IF(@@read_only, "read_only", "read-write")')
    printf '  %-7s %-8s %-10s gtid %s' "$h" "$([ "$(db_primary)" = "$h" ] && echo primary || echo replica)" \
      "$ro" "$(sql "$h" -e 'SELECT @@gtid_current_pos')"
    [ -n "$(slave_field "$h" Master_Host)" ] &&
      printf '; from %s, io %s, sql %s' "$(slave_field "$h" Master_Host)" \
        "$(slave_field "$h" Slave_IO_Running)" "$(slave_field "$h" Slave_SQL_Running)"
    echo
  done
}

# ---- the guestbook under php-fpm ------------------------------------------------

php_fpm() { find /usr/sbin -maxdepth 1 -name 'php-fpm[0-9]*' | sort -V | tail -n 1; }

# app_config HOST: app.ini for HOST: writes to the primary (by socket when it
# is HOST itself), reads HOST's own database first, then the other one.
# Replaced in one rename: a request reads either the old or the new file.
app_config() {
  local h=$1 p write dir="$RUN/$1"
  p=$(db_primary)
  write=${PRIV[$p]}
  [ "$p" = "$h" ] && write=local
  fill "$LAB_DIR/app.ini.in" "$dir/app.ini.new" "NAME=$h" "PASSWORD=$APP_PW" \
    "SOCKET=$(db_dir "$h")/mariadbd.sock" "WRITE=$write" "WRITE_NAME=$p" \
    "READ=local, ${PRIV[$(peer_of "$h")]}" &&
    chgrp www-data "$dir/app.ini.new" && chmod 640 "$dir/app.ini.new" &&
    mv -f "$dir/app.ini.new" "$dir/app.ini" || die "cannot write $dir/app.ini"
}

app_ready() {
  alive "$1-app" || return 2
  [ -S "$RUN/$1/php-fpm.sock" ]
}

# start_app HOST: deploys lab/app/ to HOST and starts php-fpm for it.
start_app() {
  local h=$1 dir="$RUN/$1" fpm
  fpm=$(php_fpm)
  [ -n "$fpm" ] || die "php-fpm is not installed (apt-get install php-fpm php-mysql)"
  mkdir -p "$dir/www" && install -m 644 "$LAB_DIR"/app/*.php "$dir/www/" || die "cannot deploy the app to $dir/www"
  app_config "$h"
  fill "$LAB_DIR/php-fpm.conf.in" "$dir/php-fpm.conf" "NAME=$h" "DIR=$dir"
  spawn "$h-app" "$h" "$fpm" --nodaemonize --fpm-config "$dir/php-fpm.conf"
  wait_until 10 app_ready "$h" || die "php-fpm on $h did not start (see $dir/php-fpm.log)"
}

site_tools_present() {
  local c
  for c in mariadbd mariadb mariadb-install-db; do
    command -v "$c" >/dev/null || die "$c is missing (apt-get install mariadb-server mariadb-client)"
  done
  [ -n "$(php_fpm)" ] || die "php-fpm is missing (apt-get install php-fpm php-mysql)"
}

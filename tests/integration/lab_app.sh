#!/usr/bin/env bash
# The lab's guestbook (lab/app/) without a database: its form limits at
# their boundaries and its messages when no database answers
# (lab_app_test.php), and every PHP file of it parses. The application with
# its databases is exercised end to end by lab_e2e.sh.
. "$(dirname "$0")/lib.sh"
command -v php >/dev/null || { not_ok "php is installed (scripts/deps.sh installs php-fpm)"; t_done; }

for f in "$RAMPART_ROOT"/lab/app/*.php; do
  check "php -l $(basename "$f")" php -l "$f"
done
php "$RAMPART_ROOT/tests/integration/lab_app_test.php" >"$T_TMP/app.out" 2>&1
cat "$T_TMP/app.out"
grep -q '^ok - ' "$T_TMP/app.out" || not_ok "lab_app_test.php ran" "$(tail -n 3 "$T_TMP/app.out" | tr '\n' ' ')"
if grep -q '^not ok - ' "$T_TMP/app.out"; then T_FAILED=$((T_FAILED + 1)); fi
t_done

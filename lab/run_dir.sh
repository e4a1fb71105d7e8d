# Sourced by lab.sh and tour.sh: the lab's state directory when LAB_RUN is
# not set. lab/run/ in the checkout, unless a parent directory is closed to
# other users (a clone under /root, mode 700): the lab's services run as
# mysql, www-data and nobody and must walk down to their files, so the state
# then goes to /var/tmp/rampart-lab instead. Both scripts agree because both
# ask this function.
lab_default_run() {
  local lab_dir=$1
  if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$lab_dir" 2>/dev/null; then
    echo "$lab_dir/run"
  else
    echo /var/tmp/rampart-lab
  fi
}

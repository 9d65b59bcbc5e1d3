# Sourced by tools/dav/probe.sh: starts and stops the test DAV servers from the
# same config templates as the C++ launcher (tests/support/dav/*.in,
# tests/support/dav_server.cc). Each server gets a scratch folder DIR with its
# config, DIR/storage, DIR/server.log and a pid.
DAV_TEMPLATES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/dav" && pwd)"
DAV_USER=holdfast
DAV_PASSWORD=holdfast-test-password

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# fill TEMPLATE OUT DIR PORT USER_LINES
fill() {
  local user_lines=$5
  awk -v dir="$3" -v port="$4" -v storage="$3/storage" -v ul="$user_lines" '{
      gsub(/@DIR@/, dir); gsub(/@PORT@/, port); gsub(/@STORAGE@/, storage); gsub(/@USER_LINES@/, ul); print }' \
    "$DAV_TEMPLATES/$1" >"$2"
}

# start_server KIND DIR: sets PORT and PID (of the process group leader).
start_server() {
  local kind=$1 dir=$2
  mkdir -p "$dir/storage" "$dir/htdocs" "$dir/lock" "$dir/tmp"
  [ -f "$dir/port" ] || free_port >"$dir/port"
  PORT=$(cat "$dir/port")
  printf '%s:%s\n' "$DAV_USER" "$DAV_PASSWORD" >"$dir/htpasswd.plain"
  [ -f "$dir/htpasswd" ] || htpasswd -cbB "$dir/htpasswd" "$DAV_USER" "$DAV_PASSWORD" 2>/dev/null
  chmod 0644 "$dir/htpasswd"
  local cmd
  case $kind in
    radicale)
      fill radicale.conf.in "$dir/radicale.conf" "$dir" "$PORT" ""
      cmd=(radicale --config "$dir/radicale.conf") ;;
    xandikos)
      cmd=(xandikos -d "$dir/storage" -l 127.0.0.1 -p "$PORT" --defaults --current-user-principal /user/) ;;
    apache)
      local ul=""
      if [ "$(id -u)" -eq 0 ]; then
        ul=$'User nobody\nGroup nogroup'
        chmod 0711 "$dir"
        chown -R nobody:nogroup "$dir/storage" "$dir/lock"
      fi
      fill apache2.conf.in "$dir/apache2.conf" "$dir" "$PORT" "$ul"
      cmd=(/usr/sbin/apache2 -f "$dir/apache2.conf" -DFOREGROUND) ;;
    nginx)
      local ul=""
      [ "$(id -u)" -eq 0 ] && ul="user root root;"
      fill nginx.conf.in "$dir/nginx.conf" "$dir" "$PORT" "$ul"
      cmd=(/usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/server.log") ;;
  esac
  setsid "${cmd[@]}" >>"$dir/server.log" 2>&1 &
  PID=$!
  echo "$PID" >"$dir/leader.pid"
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then return 0; fi
    kill -0 "$PID" 2>/dev/null || { echo "$kind did not start:" >&2; cat "$dir/server.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$kind did not answer in 10 s" >&2
  return 1
}

# stop_server DIR: SIGTERM to the process group, then SIGKILL after 5 s.
stop_server() {
  local pid
  pid=$(cat "$1/leader.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$1/leader.pid"
}

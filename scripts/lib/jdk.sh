# Finds a JDK 21 or newer. Sourced by ./callsign and scripts/test.
# Order: $JAVA_HOME, then `java` on PATH, then the newest under /usr/lib/jvm (Debian, Ubuntu)
# and /Library/Java/JavaVirtualMachines (macOS).

CALLSIGN_MIN_JAVA=21

# Prints the major version of the java binary $1 ("25", "17", "8"), or nothing.
java_major() {
  local line
  line=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  case "$line" in
    1.*) line=${line#1.} ;;
  esac
  printf '%s\n' "${line%%[.+-]*}"
}

# Prints the home of a suitable JDK (one with javac), or returns 1.
find_jdk() {
  local home major best="" best_major=0 candidate
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(java_major "$JAVA_HOME/bin/java")
    if [ "${major:-0}" -ge "$CALLSIGN_MIN_JAVA" ] 2>/dev/null; then
      printf '%s\n' "$JAVA_HOME"
      return 0
    fi
  fi
  if candidate=$(command -v java 2>/dev/null); then
    home=$(dirname "$(dirname "$(readlink -f "$candidate")")")
    major=$(java_major "$candidate")
    if [ -x "$home/bin/javac" ] && [ "${major:-0}" -ge "$CALLSIGN_MIN_JAVA" ] 2>/dev/null; then
      printf '%s\n' "$home"
      return 0
    fi
  fi
  for home in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$home/bin/javac" ] || continue
    major=$(java_major "$home/bin/java")
    if [ "${major:-0}" -ge "$CALLSIGN_MIN_JAVA" ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best=$home
      best_major=$major
    fi
  done
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

no_jdk_message() {
  echo "callsign: no JDK $CALLSIGN_MIN_JAVA or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm); install one, e.g. Temurin 21+, or set JAVA_HOME" >&2
}

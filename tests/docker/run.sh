#!/usr/bin/env bash
# The container image, end to end:
#
#   bash tests/docker/run.sh [BUILD_DIR]
#
# BUILD_DIR (default build/test) is a CMake build tree of this repository
# whose integration tests (tests/integration/test_*) are already built; they
# are run against the container.
#
#  1. A Docker engine: the one that answers, else Debian's docker.io,
#     installed when missing (scripts/deps.sh docker: also debootstrap, curl
#     and jq) and started here (overlay2, then vfs; bridge networking, then
#     none with host networking) and stopped at the end.
#  2. The base image debian:bookworm-slim: present, pulled, or, when no
#     registry can be reached, made here from Debian's own packages
#     (debootstrap --variant=minbase, slimmed like the official image, then
#     docker import under that tag), so that docker/Dockerfile stays the one
#     users build.  The packages come from the Debian archive this machine's
#     apt is set up with (its sources.list and sources.list.d, as apt reads
#     them), and the image's apt sources name that archive too: the test
#     works behind whatever mirror the machine uses.  The root file system
#     is kept in $ADDRMAND_DOCKER_CACHE (default /var/cache/addrmand-docker)
#     and the image in the engine, so that later runs reuse them.
#  3. docker build --network host -f docker/Dockerfile . ; the image's
#     configuration, its size and the size added on top of the base.
#  4. A container with a named volume, the token from an env file and the
#     port published on 127.0.0.1 only: the health check turns healthy, the
#     process is not root, the token is enforced, and the whole integration
#     suite runs against it (ADDRMAND_TEST_URL, -j1); the tests that need a
#     server of their own (signals, options) skip themselves there.
#  5. Peers and bans added, docker stop (exit status 0 within 10 s), a new
#     container on the same volume: every peer and every ban is back.
#
# Exit status 0 when every check passed.  Only when the machine cannot run a
# Docker engine at all does it print one line "SKIPPED: <reason>" and exit
# 0: no engine answers and this is no place to start dockerd (not root and
# no sudo, no CAP_SYS_ADMIN, a read-only cgroup file system: an unprivileged
# container, as CI runners often are), or dockerd refuses to start, or cannot
# start any container, in every configuration tried, for what the kernel
# refuses.  With ADDRMAND_REQUIRE_DOCKER=1 (.ci/run sets it) that is a
# failure too.  A failure to build or run the image is always a failure.
#
# Environment: ADDRMAND_REQUIRE_DOCKER (above), ADDRMAND_DOCKER_CACHE (see
# above), ADDRMAND_DOCKER_IMAGE (tag to build, default addrmand:ci),
# ADDRMAND_DEBIAN_MIRROR and ADDRMAND_DEBIAN_SECURITY_MIRROR (the archives
# for debootstrap and the base image's apt sources, default those of this
# machine's apt), ADDRMAND_DOCKER_MAX_ADDED_MB (default 15),
# ADDRMAND_DOCKERD_CONFIGS (see setup_engine), ADDRMAND_DOCKERD_DATA_ROOT (a
# --data-root for the dockerd started here, e.g. an empty directory to try
# the path of a new machine; default: dockerd's own, /var/lib/docker).
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir=${1:-build/test}
image=${ADDRMAND_DOCKER_IMAGE:-addrmand:ci}
base=debian:bookworm-slim
cache=${ADDRMAND_DOCKER_CACHE:-/var/cache/addrmand-docker}
max_added_mb=${ADDRMAND_DOCKER_MAX_ADDED_MB:-15}

run_id="addrmand-ci-$$"
work=$(mktemp -d "/tmp/$run_id.XXXXXX")
volume="$run_id-data"
containers=()
dockerd_pid=""
net=bridge                   # bridge: -p 127.0.0.1:PORT:8380; host: --network host
passed=0
failed=0
failures=()
t0=$SECONDS

log() { printf 'docker-test [%4ds]: %s\n' $((SECONDS - t0)) "$*"; }
die() { log "FAIL: $*"; exit 1; }
# No Docker engine can run here: one line and exit 0, or a failure where the
# image must be tested.
skip() {
    [ "${ADDRMAND_REQUIRE_DOCKER:-}" != 1 ] ||
        die "no Docker engine can run here (ADDRMAND_REQUIRE_DOCKER=1): $*"
    echo "SKIPPED: $*"
    exit 0
}
pass() { passed=$((passed + 1)); log "ok: $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); log "FAIL: $*"; }

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)

# ---- cleanup -------------------------------------------------------------

stop_dockerd() {
    [ -n "$dockerd_pid" ] || return 0
    log "stopping the dockerd started here (pid $dockerd_pid)"
    "${sudo[@]}" kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        "${sudo[@]}" kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.5
    done
    if "${sudo[@]}" kill -0 "$dockerd_pid" 2>/dev/null; then
        log "dockerd did not stop within 30 s: killing it"
        "${sudo[@]}" kill -KILL "$dockerd_pid" 2>/dev/null || true
    fi
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
}

summary=""
cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ] && [ -z "$summary" ]; then
        log "FAIL: stopped with exit status $rc"
        summary="docker: $passed passed, $((failed + 1)) failed"
    fi
    if [ -n "${DOCKER_READY:-}" ]; then
        for c in "${containers[@]}"; do
            docker rm -f "$c" >/dev/null 2>&1
        done
        docker volume rm -f "$volume" >/dev/null 2>&1
        # Earlier builds of the image and of its build stage, now untagged
        # (the tagged ones keep the build cache for the next run).
        for t in addrmand addrmand-build; do
            docker image prune -f --filter "label=org.opencontainers.image.title=$t" \
                >/dev/null 2>&1
        done
    fi
    stop_dockerd
    rm -rf "$work"
    [ -n "$summary" ] && echo "$summary"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- packages ------------------------------------------------------------

apt_updated=""
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    if [ -z "$apt_updated" ]; then
        "${sudo[@]}" apt-get update -qq
        apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { tail -20 "$work/apt.log"; die "apt-get install ${missing[*]} failed"; }
}

# ---- 1. the engine -------------------------------------------------------

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

# Why dockerd cannot be started here, or nothing when it may be: it needs
# root (here or through sudo), CAP_SYS_ADMIN for its mounts and namespaces
# (a container not run --privileged has not it) and a cgroup file system it
# can write (such a container has it read-only).  Checked before anything
# is installed, so that a runner that cannot run an engine skips at once.
engine_unstartable() {
    local caps
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "no Docker engine answers, and dockerd needs root: not root, no sudo"
            return 0
        fi
        if ! sudo -n true 2>/dev/null && ! [ -t 0 ]; then
            echo "no Docker engine answers, and dockerd needs root: sudo asks a password, no terminal"
            return 0
        fi
    fi
    caps=$("${sudo[@]}" awk '$1 == "CapEff:" { print $2 }' /proc/self/status 2>/dev/null || true)
    if [ -n "$caps" ] && (( (16#$caps >> 21 & 1) == 0 )); then
        echo "no Docker engine answers, and dockerd cannot start without CAP_SYS_ADMIN (an unprivileged container)"
        return 0
    fi
    # Field 6 of mountinfo is the mount's own options; the file system type
    # follows the " - " separator.
    if awk '{ for (i = 7; i < NF && $i != "-"; i++); } $(i + 1) ~ /^cgroup2?$/ { n++; if ($6 ~ /(^|,)ro(,|$)/) ro++ }
            END { exit !(n > 0 && ro == n) }' /proc/self/mountinfo 2>/dev/null; then
        echo "no Docker engine answers, and dockerd cannot start on a read-only cgroup file system (an unprivileged container)"
    fi
}

# With no engine answering, what a new Debian 12 machine lacks comes from
# the project's own list; else only the tools this script uses.
if engine_answers; then
    need_pkgs curl jq
else
    reason=$(engine_unstartable)
    [ -z "$reason" ] || skip "$reason"
    log "no Docker engine answers: scripts/deps.sh docker"
    bash scripts/deps.sh docker >"$work/deps.log" 2>&1 ||
        { tail -20 "$work/deps.log"; die "scripts/deps.sh docker failed"; }
fi

# Start dockerd with the given options; 0 when it answers within 60 s.
start_dockerd() {
    local log_file="$work/dockerd.log"
    : >"$log_file"
    log "starting dockerd $*"
    local root=()
    [ -z "${ADDRMAND_DOCKERD_DATA_ROOT:-}" ] || root=(--data-root "$ADDRMAND_DOCKERD_DATA_ROOT")
    "${sudo[@]}" dockerd --host "unix:///var/run/docker.sock" \
        --pidfile "$work/dockerd.pid" "${root[@]}" "$@" >>"$log_file" 2>&1 &
    dockerd_pid=$!
    export DOCKER_HOST=unix:///var/run/docker.sock
    for _ in $(seq 1 120); do
        if ! kill -0 "$dockerd_pid" 2>/dev/null; then
            wait "$dockerd_pid" 2>/dev/null || true
            dockerd_pid=""
            return 1
        fi
        engine_answers && return 0
        sleep 0.5
    done
    stop_dockerd
    return 1
}

# The last line of dockerd's log that says what went wrong.
dockerd_error() {
    grep -E 'level=(fatal|error)|failed to start daemon|Error starting daemon' \
        "$work/dockerd.log" 2>/dev/null | tail -1 | sed -E 's/.*msg="?//; s/"$//' |
        cut -c1-300
}

# The first archive of this machine's apt sources (as apt reads them) that
# serves a suite matching the regular expression $1 and that debootstrap
# can fetch from (http, https or file).
apt_archive() {
    apt-get indextargets --no-release-info \
        --format '$(TARGET_OF) $(IDENTIFIER) $(RELEASE) $(REPO_URI)' 2>/dev/null |
        awk -v re="$1" '!found && $1 == "deb" && $2 == "Packages" && $3 ~ re &&
                        $4 ~ /^(https?|file):\/\// { sub(/\/+$/, "", $4); print $4; found = 1 }' ||
        true
}

# The Debian archive and security archive for the base image: the
# environment's, else this machine's own (the one that serves bookworm,
# else any Debian suite; the one that serves bookworm-security, else any
# security suite).  A missing security archive leaves it out of the image's
# sources.
mirror=""
security=""
find_archives() {
    mirror=${ADDRMAND_DEBIAN_MIRROR:-}
    [ -n "$mirror" ] || mirror=$(apt_archive '^bookworm$')
    [ -n "$mirror" ] ||
        mirror=$(apt_archive '^(bullseye|bookworm|trixie|forky|sid|oldstable|stable|testing|unstable)$')
    [ -n "$mirror" ] ||
        die "no Debian archive in this machine's apt sources (apt-get indextargets): set ADDRMAND_DEBIAN_MIRROR"
    security=${ADDRMAND_DEBIAN_SECURITY_MIRROR:-}
    [ -n "$security" ] || security=$(apt_archive '^bookworm-security$')
    [ -n "$security" ] || security=$(apt_archive '(-security|/updates)$')
    [ -n "$security" ] || log "no Debian security archive in this machine's apt sources: the base image has none"
}

# The base image's apt sources: bookworm and its updates from $mirror, and
# bookworm-security from $security.
image_sources() {
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n' \
        "$mirror" "$key"
    [ -z "$security" ] ||
        printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' \
            "$security" "$key"
}

# The base image: present, pulled, or made from Debian's packages.
make_base_rootfs() {
    local tarball=$1 r="$work/rootfs" include=()
    need_pkgs debootstrap
    # apt in the image verifies an https archive with the CA certificates.
    case $mirror$security in *https:*) include=(--include=ca-certificates) ;; esac
    log "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
    "${sudo[@]}" debootstrap --variant=minbase --components=main "${include[@]}" bookworm "$r" \
        "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log"; die "debootstrap failed"; }
    image_sources >"$work/debian.sources"
    # What the official slim image does (debuerreotype): apt keeps no
    # package files nor translations, dpkg installs no documentation, no
    # service starts at install, and the sources include the updates.  Its
    # / is 0755 whatever the umask it was made under: the image's
    # unprivileged user runs from it.
    "${sudo[@]}" bash -euo pipefail -c '
        r=$1
        chmod 0755 "$r"
        rm -f "$r"/etc/apt/sources.list
        install -m 0644 "$2" "$r"/etc/apt/sources.list.d/debian.sources
        cat >"$r"/etc/apt/apt.conf.d/docker-clean <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
        echo "Acquire::Languages \"none\";" >"$r"/etc/apt/apt.conf.d/docker-no-languages
        echo "Acquire::GzipIndexes \"true\";" >"$r"/etc/apt/apt.conf.d/docker-gzip-indexes
        echo "Apt::AutoRemove::SuggestsImportant \"false\";" \
            >"$r"/etc/apt/apt.conf.d/docker-autoremove-suggests
        cat >"$r"/etc/dpkg/dpkg.cfg.d/docker <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
        printf "#!/bin/sh\nexit 101\n" >"$r"/usr/sbin/policy-rc.d
        chmod 0755 "$r"/usr/sbin/policy-rc.d
        find "$r"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete
        rm -rf "$r"/usr/share/groff/* "$r"/usr/share/info/* "$r"/usr/share/linda/* \
            "$r"/usr/share/lintian/overrides/* "$r"/usr/share/locale/* \
            "$r"/usr/share/man/*
        rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin \
            "$r"/var/lib/apt/lists/* "$r"/var/log/*.log "$r"/var/log/apt/* \
            "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
        mkdir -p "$r"/var/lib/apt/lists/partial
        : >"$r"/etc/resolv.conf
        : >"$r"/etc/hostname
        : >"$r"/etc/machine-id
    ' _ "$r" "$work/debian.sources"
    "${sudo[@]}" mkdir -p "$cache"
    "${sudo[@]}" tar --numeric-owner -C "$r" -cf "$tarball.tmp" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        --exclude='./run/*' --exclude='./tmp/*' --exclude='./debootstrap' .
    "${sudo[@]}" mv "$tarball.tmp" "$tarball"
    "${sudo[@]}" rm -rf "$r"
}

base_from=""
ensure_base() {
    local tarball
    if docker image inspect "$base" >/dev/null 2>&1; then
        [ -n "$base_from" ] || base_from="already in the engine"
        return 0
    fi
    if timeout 120 docker pull "$base" >"$work/pull.log" 2>&1; then
        base_from="pulled"
        return 0
    fi
    log "cannot pull $base ($(tail -1 "$work/pull.log" | cut -c1-160))"
    # One root file system kept per set of archives its apt sources name.
    find_archives
    tarball="$cache/debian-bookworm-minbase-$(image_sources | sha256sum | cut -c1-12).tar"
    if [ -s "$tarball" ]; then
        log "importing $tarball (kept from an earlier run)"
    else
        make_base_rootfs "$tarball"
    fi
    docker import --change 'CMD ["bash"]' \
        --message "debootstrap --variant=minbase bookworm (tests/docker/run.sh)" \
        "$tarball" "$base" >/dev/null || die "docker import of $tarball failed"
    base_from="made here with debootstrap --variant=minbase bookworm"
}

# The engine can start a container of the base image on the network in use.
smoke_run() {
    local args=(--rm)
    if [ "$net" = host ]; then
        args+=(--network host)
    else
        args+=(-p 127.0.0.1::8380)
    fi
    timeout 120 docker run "${args[@]}" "$base" true >"$work/smoke.log" 2>&1
}

# What a kernel (or a sandbox around it) says when it refuses what dockerd
# needs.
kernel_re='kernel|cgroup|iptables|nftables|overlay|modprobe|module|namespace|not permitted|not supported|no such device|seccomp|apparmor|mount|permission denied|unshare|veth|netlink|bridge|sysctl|/proc/sys'

setup_engine() {
    local reason="" attempt
    if engine_answers; then
        log "using the Docker engine that answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
        DOCKER_READY=1
        ensure_base
        smoke_run || die "the running engine cannot start a container: $(tail -3 "$work/smoke.log")"
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        need_pkgs docker.io
    fi
    # A machine with systemd starts the engine the package installed.
    if engine_answers; then
        log "using the Docker engine that answers now ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
        DOCKER_READY=1
        ensure_base
        smoke_run || die "the running engine cannot start a container: $(tail -3 "$work/smoke.log")"
        return 0
    fi
    # From the most usual set-up to the one that asks least of the kernel:
    # the default storage driver (overlay2) or vfs (plain copies, for a
    # kernel that refuses overlay mounts); bridge networking, or none at all
    # (no iptables, no docker0), and then host networking for build and run.
    # ADDRMAND_DOCKERD_CONFIGS picks some of them, in its order.
    local configs=${ADDRMAND_DOCKERD_CONFIGS:-"auto-bridge vfs-bridge auto-host vfs-host"}
    local opts desc
    for attempt in $configs; do
        case $attempt in
        auto-bridge) opts=() ;;
        vfs-bridge)  opts=(--storage-driver=vfs) ;;
        auto-host)   opts=(--bridge=none --iptables=false --ip6tables=false) ;;
        vfs-host)    opts=(--storage-driver=vfs --bridge=none --iptables=false --ip6tables=false) ;;
        *) die "ADDRMAND_DOCKERD_CONFIGS: unknown '$attempt'" ;;
        esac
        net=${attempt#*-}
        desc="dockerd ${opts[*]:-(defaults)}"
        if ! start_dockerd "${opts[@]}"; then
            reason="$desc does not start: $(dockerd_error)"
            log "$reason"
            continue
        fi
        DOCKER_READY=1
        ensure_base
        if smoke_run; then
            log "engine: docker $(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'), network $net ($attempt)"
            return 0
        fi
        reason="$desc cannot start a container: $(grep -v '^$' "$work/smoke.log" | tail -1 | cut -c1-300)"
        log "$reason"
        stop_dockerd
    done
    # Skipped only for what the machine refuses (its kernel, its cgroups,
    # its mounts, its network stack); anything else is a failure.
    grep -qiE "$kernel_re" <<<"$reason" &&
        skip "this machine cannot run a Docker engine: $reason"
    die "no Docker engine: $reason"
}

setup_engine

# What a run that was killed before its clean-up left behind.
test_label=org.addrmand.test=docker
stale=$(docker ps -aq --filter "label=$test_label")
[ -z "$stale" ] || docker rm -f $stale >/dev/null 2>&1 || true
stale=$(docker volume ls -q --filter "label=$test_label")
[ -z "$stale" ] || docker volume rm -f $stale >/dev/null 2>&1 || true
docker volume create --label "$test_label" "$volume" >/dev/null

# ---- 2. build ------------------------------------------------------------

[ -d "$build_dir/tests/integration" ] ||
    die "$build_dir/tests/integration is missing: build the tests first (scripts/test.sh)"
# Sources newer than what was built from them: a hint when tests fail.
stale=""
for src in tests/integration/*.[ch]; do
    case $src in
    */test_*.c) bin=$build_dir/tests/integration/$(basename "$src" .c) ;;
    *) bin=$build_dir/tests/integration/libitharness.a ;;
    esac
    if [ ! -e "$bin" ] || [ "$src" -nt "$bin" ]; then
        stale+=" ${src#tests/integration/}"
    fi
done
[ -z "$stale" ] ||
    log "warning: changed since $build_dir was built (rebuild it):$stale"

log "docker build --network host -f docker/Dockerfile -t $image ."
build_t0=$SECONDS
if ! docker build --network host -f docker/Dockerfile -t "$image" . >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log"
    die "docker build failed"
fi
# Tag the build stage too (all from the cache): it keeps the compiler
# layers out of the clean-up, so that the next run builds in seconds.
docker build --network host -f docker/Dockerfile --target build -t "$image-build" . \
    >/dev/null 2>&1 || true
build_s=$((SECONDS - build_t0))
log "image built in ${build_s}s (base: $base_from)"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
image_size=$(docker image inspect -f '{{.Size}}' "$image")
base_size=$(docker image inspect -f '{{.Size}}' "$base")
added=$((image_size - base_size))
log "image size $(mb "$image_size"), base $base $(mb "$base_size"), added on top of the base $(mb "$added")"
n_layers=$(( $(docker history -q "$image" | wc -l) - $(docker history -q "$base" | wc -l) ))
docker history --format '{{.Size}}	{{.CreatedBy}}' "$image" | sed -n "1,${n_layers}p" |
    awk -F'\t' '$1 != "0B" { printf "  added layer %8s  %s\n", $1, substr($2, 1, 100) }'
if [ "$added" -lt $((max_added_mb * 1000000)) ]; then
    pass "layers added on top of $base: $(mb "$added") (< $max_added_mb MB)"
else
    fail "layers added on top of $base: $(mb "$added") (target < $max_added_mb MB)"
fi

# The configuration users rely on.
cfg=$(docker image inspect -f '{{json .Config}}' "$image")
cfg_check() {
    local what=$1 filter=$2
    if jq -e "$filter" >/dev/null <<<"$cfg"; then
        pass "image: $what"
    else
        fail "image: $what (config: $(jq -c "$3" <<<"$cfg"))"
    fi
}
cfg_check "runs as a non-root user" \
    '(.User // "") as $u | $u != "" and ($u | test("^(root|0)(:|$)") | not)' '.User'
cfg_check "exposes 8380/tcp" '.ExposedPorts | has("8380/tcp")' '.ExposedPorts'
cfg_check "exposes 8333/tcp (the Bitcoin P2P face)" '.ExposedPorts | has("8333/tcp")' '.ExposedPorts'
cfg_check "serves Bitcoin P2P on 0.0.0.0:8333" \
    '.Env | index("ADDRMAND_P2P_LISTEN=0.0.0.0:8333") != null' '.Env'
cfg_check "declares the volume /data" '.Volumes | has("/data")' '.Volumes'
cfg_check "health check runs addrmand healthcheck" \
    '.Healthcheck.Test | join(" ") | test("addrmand healthcheck")' '.Healthcheck'
cfg_check "stop signal SIGTERM" '.StopSignal == "SIGTERM"' '.StopSignal'
cfg_check "listens on 0.0.0.0:8380, data in /data" \
    '(.Env | index("ADDRMAND_LISTEN=0.0.0.0:8380")) != null and (.Env | index("ADDRMAND_DATADIR=/data")) != null' '.Env'
if out=$(docker run --rm --network none --entrypoint /bin/sh "$image" -c \
        'for t in gcc cc cmake make pkg-config apt-get; do command -v $t; done; addrmand --version' 2>&1) &&
    [ "$(grep -c '^/' <<<"$out")" -le 1 ] && grep -q '^addrmand ' <<<"$out"; then
    # apt-get is part of the base image; a compiler or build tool is not.
    pass "image: no compiler or build tool; $(grep '^addrmand ' <<<"$out")"
else
    fail "image: build tools in the final stage, or addrmand does not run: $out"
fi

# ---- 3. run --------------------------------------------------------------

token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
printf 'ADDRMAND_API_TOKEN=%s\n' "$token" >"$work/addrmand.env"
chmod 600 "$work/addrmand.env"

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    die "no free port on 127.0.0.1"
}
port=$(free_port)
p2p_port=$(free_port)
url="http://127.0.0.1:$port"

# Start a container on the volume; the health check every second so that
# waiting for "healthy" is short (the image's own interval is 10 s).
start_container() {
    local name=$1 args
    args=(-d --name "$name" --label "$test_label" -v "$volume:/data" --env-file "$work/addrmand.env"
          --health-interval 1s --health-start-period 10s)
    if [ "$net" = host ]; then
        args+=(--network host -e "ADDRMAND_LISTEN=127.0.0.1:$port"
               -e "ADDRMAND_P2P_LISTEN=127.0.0.1:$p2p_port")
    else
        args+=(-p "127.0.0.1:$port:8380" -p "127.0.0.1:$p2p_port:8333")
    fi
    containers+=("$name")
    docker run "${args[@]}" "$image" >/dev/null || die "docker run $name failed"
}

# Wait until the health check says healthy (60 s at most).
wait_healthy() {
    local name=$1 status t=$SECONDS
    while [ $((SECONDS - t)) -lt 60 ]; do
        status=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$name")
        case $status in
        "running healthy") log "$name healthy after $((SECONDS - t))s"; return 0 ;;
        running*) sleep 0.5 ;;
        *) docker logs "$name" 2>&1 | tail -20
           fail "$name is $status before it was healthy"; return 1 ;;
        esac
    done
    docker logs "$name" 2>&1 | tail -20
    docker inspect -f '{{json .State.Health}}' "$name" | cut -c1-800
    fail "$name not healthy within 60 s"
    return 1
}

api() { # METHOD PATH [JSON]: body on stdout, HTTP status in $work/status
    local args=(-sS -m 30 -o "$work/body" -w '%{http_code}' -X "$1"
                -H "Authorization: Bearer $token")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$url$2" >"$work/status" || echo 000 >"$work/status"
    cat "$work/body"
}
status() { cat "$work/status"; }

c1="$run_id-1"
c2="$run_id-2"
log "docker run $c1: volume $volume, token from an env file, $url"
start_container "$c1"
wait_healthy "$c1" || die "the container did not become healthy"
pass "container healthy (health check: addrmand healthcheck)"

# The server process (PID 1 in the container) does not run as root.
uids=$(docker exec "$c1" cat /proc/1/status | awk '/^Uid:/ { print $2, $3, $4, $5 }')
comm=$(docker exec "$c1" cat /proc/1/comm)
if [ "$comm" = addrmand ] && [ -n "$uids" ] && ! grep -qw 0 <<<"$uids"; then
    pass "process $comm runs as uid $uids (not root)"
else
    fail "process $comm runs as uid '$uids'"
fi

# The volume is private as addrmand makes its data directory: no warning
# that others can open it or the key file.
mode=$(docker exec "$c1" stat -c %a /data)
if [ "$mode" = 700 ] && ! docker logs "$c1" 2>&1 | grep -q "open to other users"; then
    pass "the volume /data is private (mode $mode, no warning in the log)"
else
    fail "/data has mode $mode, or the log warns that others can open it"
fi

# The P2P face answers a mainnet version with its own version.  The
# message is a fixed one (protocol 70016, empty user agent, checksum
# included): bash writes it and reads the answer's first header.
p2p_version='\xf9\xbe\xb4\xd9\x76\x65\x72\x73\x69\x6f\x6e\x00\x00\x00\x00\x00\x56\x00\x00\x00\xf2\xb6\x99\x95\x80\x11\x01\x00'
p2p_version+='\x00\x00\x00\x00\x00\x00\x00\x00\x80\x20\x32\x69\x00\x00\x00\x00'
p2p_version+=$(printf '\\x00%.0s' $(seq 52))
p2p_version+='\x62\x6f\x72\x70\x72\x64\x64\x61\x00\x00\x00\x00\x00\x00'
p2p_answer=$( (exec 3<>"/dev/tcp/127.0.0.1/$p2p_port" &&
    printf '%b' "$p2p_version" >&3 && timeout 10 head -c 24 <&3 | od -An -tx1 -v) 2>&1 |
    tr -s ' \n' ' ' || true)
if [[ $p2p_answer == " f9 be b4 d9 76 65 72 73 69 6f 6e 00"* ]]; then
    pass "the P2P port answers a mainnet version with a version"
else
    fail "the P2P port 127.0.0.1:$p2p_port answered '$p2p_answer' (want a mainnet version header)"
fi

code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$url/v1/stats" || true)
api GET /v1/stats >/dev/null
if [ "$code" = 401 ] && [ "$(status)" = 200 ]; then
    pass "the token from the env file is required (401 without, 200 with)"
else
    fail "token: $code without it, $(status) with it (want 401 and 200)"
fi

# ---- 4. the integration suite against the container ----------------------

log "integration tests against $url (ctest -L integration -j1)"
it_t0=$SECONDS
# Verbose into the log: the test cases that skipped themselves are counted
# from it.
# test_concurrency runs last: it adds some 7,500 peers, and in a pool that
# full a fresh address finds its table slot held (and is turned away) one
# time in ten, which the tests before it then need not meet so often.
heavy='^integration\.test_concurrency$'
it_ok=1
for pass_args in "-E $heavy" "-R $heavy"; do
    # shellcheck disable=SC2086
    ADDRMAND_TEST_URL=$url ADDRMAND_TEST_TOKEN=$token \
        ctest --test-dir "$build_dir" -L integration $pass_args -j1 -V \
        >>"$work/ctest.log" 2>&1 || it_ok=0
done
# cmocka names each case again in its closing list: count each once.
it_cases() { { grep -oE "^[0-9]+: \[ +$1 +\] test_[A-Za-z0-9_]+" "$work/ctest.log" || true; } |
    sed -E 's/^([0-9]+): .* /\1 /' | sort -u | wc -l; }
it_summary="test programs: $(grep -E '^[0-9]+% tests passed' "$work/ctest.log" |
    awk '{ n += $NF; f += $4 } END { printf "%d run, %d failed", n, f }');\
 cases: $(it_cases OK) passed, $(it_cases SKIPPED) skipped (they need a server of their own), $(it_cases FAILED) failed"
if [ "$it_ok" = 1 ] && [ "$(grep -cE '^100% tests passed' "$work/ctest.log")" = 2 ]; then
    log "$it_summary"
    pass "integration suite against the container ($((SECONDS - it_t0))s)"
else
    grep -E '^[0-9]+: (ERROR|\[  (ERROR|FAILED) +\]|\[ +LINE +\])|Failed|\*\*\*|tests passed|Timeout' \
        "$work/ctest.log" | head -100
    log "$it_summary"
    fail "integration suite against the container (ctest: $build_dir)"
fi

# ---- 5. a restart keeps every peer and ban -------------------------------

# A batch of peers in many network groups (IPv4, IPv6, Tor v3), one of them
# moved to the tried table, and bans on an address, a subnet and an onion.
peers='{"source": "203.0.114.7", "peers": ['
sep=""
for i in $(seq 1 40); do
    o1=$(( (i * 37) % 180 + 20 ))
    [ "$o1" -eq 127 ] || [ "$o1" -eq 100 ] || [ "$o1" -eq 172 ] && o1=$((o1 + 1))
    peers+="$sep{\"address\": \"$o1.$((RANDOM % 250 + 1)).$((RANDOM % 250)).$((RANDOM % 250 + 1))\", \"services\": $((1033 + i))}"
    sep=", "
done
for i in $(seq 1 8); do
    peers+=", {\"address\": \"[2a0$((i % 10)):$(printf %x $((RANDOM + 4096))):$(printf %x $RANDOM)::$(printf %x $((RANDOM + 1)))]:8333\", \"services\": 9}"
done
peers+=', {"address": "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333", "services": 3081}'
peers+=']}'
res=$(api POST /v1/peers "$peers")
n_added=$(jq -r '.added // 0' <<<"$res" 2>/dev/null || echo 0)
if [ "$(status)" = 200 ] && [ "$n_added" -gt 0 ]; then
    pass "added $n_added peers ($(jq -c '{updated, ignored, errors: (.errors | length)}' <<<"$res"))"
else
    fail "POST /v1/peers: HTTP $(status): $(cut -c1-300 <<<"$res")"
fi
# The first of them that the pool took (the slot of one may have been held
# by a peer of the tests) becomes tried.
tried=""
for a in $(jq -r '.peers[].address' <<<"$peers" | grep -v -e '^\[' -e '\.onion'); do
    api PUT "/v1/peers/$a:8333/state" '{"state": "tried"}' >/dev/null
    case $(status) in
    200) tried=$a; break ;;
    404) ;;
    *) tried=error; fail "PUT state tried on $a: HTTP $(status)"; break ;;
    esac
done
[ -n "$tried" ] || fail "no peer of the batch could be set tried (all 404)"
bans_ok=1
for b in '{"target": "81.169.7.7", "duration": 86400, "reason": "ci address"}' \
         '{"target": "45.33.0.0/16", "duration": 604800, "reason": "ci subnet"}' \
         '{"target": "2a0f:1234::/32", "duration": 3600, "reason": "ci v6 subnet"}' \
         '{"target": "22pz2giqglrjahnebbeedjyfhmy26wifq7d6wnioioqv3kbctddraead.onion", "duration": 7200}'; do
    api POST /v1/bans "$b" >/dev/null
    if [ "$(status)" != 201 ]; then
        bans_ok=0
        fail "POST /v1/bans $b: HTTP $(status): $(cut -c1-200 "$work/body")"
    fi
done
[ "$bans_ok" = 1 ] && pass "4 bans added"

# Every peer (all pages) and every ban, in a form that a restart keeps.
snapshot() {
    local out=$1 after=0 page next
    : >"$out.peers"
    while :; do
        page=$(api GET "/v1/peers?limit=10000&after=$after")
        [ "$(status)" = 200 ] || { log "GET /v1/peers: HTTP $(status)"; return 1; }
        jq -c '.peers[] | {address, port, network, services, table}' <<<"$page" >>"$out.peers"
        next=$(jq -r '.next // empty' <<<"$page")
        [ -n "$next" ] || break
        after=$next
    done
    sort -o "$out.peers" "$out.peers"
    api GET /v1/bans | jq -c '.bans[] | {target, until, reason}' | sort >"$out.bans"
    [ "$(status)" = 200 ] || { log "GET /v1/bans: HTTP $(status)"; return 1; }
    # The pages add up to the whole pool.
    local total
    total=$(api GET /v1/stats | jq -r '.peers')
    [ "$total" = "$(wc -l <"$out.peers")" ] ||
        { log "/v1/stats counts $total peers, the list $(wc -l <"$out.peers")"; return 1; }
}
snapshot "$work/before" || fail "cannot list the pool before the restart"
n_peers=$(wc -l <"$work/before.peers")
n_bans=$(wc -l <"$work/before.bans")
log "before the restart: $n_peers peers, $n_bans bans"

log "docker stop $c1"
stop_t0=$(date +%s.%N)
docker stop -t 10 "$c1" >/dev/null
stop_s=$(awk -v a="$stop_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$c1")
if [ "$exit_code" = 0 ] && awk -v s="$stop_s" 'BEGIN { exit !(s < 10) }'; then
    pass "docker stop: exit status 0 after ${stop_s}s"
else
    docker logs "$c1" 2>&1 | tail -20
    fail "docker stop: exit status $exit_code after ${stop_s}s (want 0 within 10 s)"
fi
docker logs "$c1" 2>&1 | tail -3 | sed 's/^/  | /'

log "the volume after the stop:"
docker run --rm --network none -v "$volume:/data" --entrypoint ls "$image" -la /data |
    sed 's/^/  | /'
log "docker run $c2 on the same volume"
start_container "$c2"
if wait_healthy "$c2"; then
    snapshot "$work/after" || fail "cannot list the pool after the restart"
    lost_peers=$(comm -23 "$work/before.peers" "$work/after.peers" | wc -l)
    lost_bans=$(comm -23 "$work/before.bans" "$work/after.bans" | wc -l)
    if [ "$n_peers" -gt 0 ] && [ "$lost_peers" -eq 0 ]; then
        pass "restart: all $n_peers peers are back"
    else
        comm -23 "$work/before.peers" "$work/after.peers" | sed -n "1,5s/^/  lost: /p"
        fail "restart: $lost_peers of $n_peers peers lost ($(wc -l <"$work/after.peers") after)"
    fi
    if [ "$n_bans" -ge 4 ] && [ "$lost_bans" -eq 0 ]; then
        pass "restart: all $n_bans bans are back"
    else
        comm -23 "$work/before.bans" "$work/after.bans" | sed -n "1,5s/^/  lost: /p"
        fail "restart: $lost_bans of $n_bans bans lost ($(wc -l <"$work/after.bans") after)"
    fi
    docker stop -t 10 "$c2" >/dev/null
fi

# ---- compose file --------------------------------------------------------

# Checked when a Compose is there (not installed for this).
compose=()
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
fi
if [ ${#compose[@]} -gt 0 ]; then
    if ADDRMAND_ENV_FILE=$work/addrmand.env "${compose[@]}" -f docker/compose.yaml \
            config -q 2>"$work/compose.log"; then
        pass "docker/compose.yaml is valid (${compose[*]} config)"
    else
        fail "${compose[*]} config: $(grep -v '^$' "$work/compose.log" | sed -n 1,3p)"
    fi
fi

log "image $image: $(mb "$image_size"), added on top of $base: $(mb "$added"); build ${build_s}s; total $((SECONDS - t0))s"
for f in "${failures[@]}"; do
    log "failed: $f"
done
# The closing line, printed last by cleanup (after dockerd has stopped).
summary="docker: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

/*
 * srv_health.h - `addrmand healthcheck [--url URL]`, for container health
 * checks: a plain-socket HTTP/1.0 GET (no HTTP library), exit status 0 when
 * the answer is 200, 1 otherwise (the reason on stderr), 2 for bad usage.
 * The URL defaults to http://<ADDRMAND_LISTEN>/healthz (127.0.0.1:8380
 * without it); a wildcard listen address is reached through loopback.
 */
#ifndef SRV_HEALTH_H
#define SRV_HEALTH_H

/* argv[0] is "healthcheck". */
int srv_health_main(int argc, char **argv);

#endif

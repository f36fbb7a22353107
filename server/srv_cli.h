/*
 * srv_cli.h - `addrmand import` and `addrmand export`: a data directory's
 * pool read from or written to a file without the server running.
 *
 *   addrmand import --format FORMAT [--datadir DIR] [--chain NAME] FILE
 *   addrmand export --format FORMAT [--datadir DIR] [--chain NAME] > FILE
 *
 * Import formats: core (Bitcoin Core's peers.dat, st_coredat.h), floresta,
 * btcd, lines (st_floresta.h, st_btcd.h, st_lines.h); FILE "-" is stdin.
 * Export formats: core and floresta.  --datadir and --chain default as the
 * daemon's (ADDRMAND_DATADIR, ADDRMAND_CHAIN, then ./addrmand-data and
 * main): the chain names the peers.dat magic and, for regtest, lets
 * loopback and private addresses in, as the daemon's does.
 *
 * The directory is opened as the daemon opens it (st_store_open): its
 * flock on addrmand.lock keeps one process at a time, so a command against
 * the directory of a running daemon is refused (exit 1) and changes
 * nothing.  An import is merged as POST /v1/import merges (journalled),
 * then a snapshot is written; its answer, the same JSON as the HTTP one,
 * goes to stdout.  A file that cannot be read changes nothing.  An export
 * writes the file to stdout (never to a terminal for core) and what went
 * where to stderr; a directory that does not exist is an error there (an
 * import creates it, as the daemon does).
 *
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.
 */
#ifndef SRV_CLI_H
#define SRV_CLI_H

/* 1 when argv[1] names a subcommand of this module. */
int srv_cli_is_command(int argc, char **argv);
/* argv[0] is "import" or "export". */
int srv_cli_main(int argc, char **argv);

#endif

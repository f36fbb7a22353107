/*
 * st_lines.h - importing a plain list of addresses, one a line: Bitcoin
 * Core's contrib/seeds/nodes_main.txt and the like.
 *
 * The document is text (UTF-8 or ASCII).  Each line holds one address with
 * an optional port ("1.2.3.4:8333", "[2001:db8::1]:8333",
 * "<name>.onion:8333", "<name>.b32.i2p:0"); without a port an address gets
 * its network's default (api_addr_parse).  '#' starts a comment to the end
 * of the line; blank lines and spaces or tabs around the address are
 * skipped; "\r\n" ends a line as "\n" does.  Nothing else may share the
 * line: "1.2.3.4 5.6.7.8" is an error of that line.
 *
 * Each address becomes a record never tried, in the new table, with no
 * source, the services given (0 by default) and a time of 0 (the adding
 * rule of st_merge.h stores it as five days ago: a list says nothing of
 * when a peer was seen).  Entries are numbered from 0 in the order of the
 * lines that hold one; an error's message names the line (counted from
 * 1), as an editor shows it.  Tor v2 names are counted as ignored, as the
 * other readers do.  Then the records are merged as st_merge.h says.
 *
 * Why our own reader: the format is a line split and a call to the
 * address parser; no library reads "Core's seed list" as such.
 *
 * THREADS: reading needs no lock.
 */
#ifndef ST_LINES_H
#define ST_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "st_merge.h"

/* Longest line taken, comment included: addresses are far shorter. */
#define ST_LINES_MAX 1024

/* AM_OK (line errors in r), or AM_ERR_NOMEM.  Every record gets
 * `services`. */
int st_lines_read(const char *text, size_t len, uint64_t services,
                   st_doc *doc, st_merge_result *r);

#endif

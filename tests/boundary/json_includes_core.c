/* json/ knows nothing above libc and the error enum: a json/ source that
 * includes the address manager must not compile (tests/boundary). */
#include "js_reader.h"
#include "addrman.h"

int bnd_json_includes_core(void);
int bnd_json_includes_core(void) { return 0; }

# Turn a file into a C source defining a byte array and its size:
#   cmake -DIN=<file> -DOUT=<file.c> -DNAME=<symbol> -P embed.cmake
# defines `const unsigned char NAME_data[]` (NUL-terminated, so it can be used
# as a string) and `const size_t NAME_size` (without the NUL).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Twenty bytes a line keeps the generated file readable in a debugger.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){20})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}"
"/* Generated from ${IN} by cmake/embed.cmake; do not edit. */
#include <stddef.h>

extern const unsigned char ${NAME}_data[];
extern const size_t ${NAME}_size;

const unsigned char ${NAME}_data[] = {
    ${bytes}0x00
};
const size_t ${NAME}_size = ${size};
")

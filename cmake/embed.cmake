# Turns a text file into a C source defining `const char SYMBOL[]` (NUL-terminated),
# so the default scenario ships inside the binary.
file(READ ${IN} HEX HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n#include <stddef.h>\n"
     "extern const char ${SYMBOL}[];\nextern const size_t ${SYMBOL}_len;\n"
     "const char ${SYMBOL}[] = {${BYTES} 0x00};\n"
     "const size_t ${SYMBOL}_len = sizeof ${SYMBOL} - 1;\n")

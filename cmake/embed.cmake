# Writes OUT, a C file defining `const char NAME[]` (the bytes of IN plus a
# NUL) and `const size_t NAME_len`, so data ships inside the binary.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "#include <stddef.h>\n"
     "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
     "const char ${NAME}[] = {${bytes}0x00};\n"
     "const size_t ${NAME}_len = sizeof ${NAME} - 1;\n")

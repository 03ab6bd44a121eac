# Warning flags shared by every target this project builds (library, tests, examples).
add_library(qtpsk_warnings INTERFACE)
target_compile_options(qtpsk_warnings INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
        -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference>
    $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${QTPSK_WARNINGS_AS_ERRORS}>>:-Werror>)

# Strict Qt hygiene inside the project: no implicit ASCII casts, no "signals"/"slots" keywords.
add_library(qtpsk_strict_qt INTERFACE)
target_compile_definitions(qtpsk_strict_qt INTERFACE
    QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING QT_USE_QSTRINGBUILDER QT_NO_FOREACH)

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

# Sanitizers for every target of the build (presets asan and tsan), added to the compile and link
# options, whatever CMAKE_CXX_FLAGS holds: QTPSK_SANITIZE is the -fsanitize= list.
set(QTPSK_SANITIZE "" CACHE STRING
    "Build every target with these sanitizers, as for -fsanitize= (e.g. address,undefined or thread); empty: none")
set(QTPSK_SANITIZE_COMPILE_FLAGS "")
set(QTPSK_SANITIZE_LINK_FLAGS "")
if(QTPSK_SANITIZE)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang)$")
        message(FATAL_ERROR "QTPSK_SANITIZE needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
    endif()
    set(QTPSK_SANITIZE_COMPILE_FLAGS -fsanitize=${QTPSK_SANITIZE} -fno-omit-frame-pointer)
    if(QTPSK_SANITIZE MATCHES "(^|,)undefined(,|$)")
        list(APPEND QTPSK_SANITIZE_COMPILE_FLAGS -fno-sanitize-recover=undefined) # a report fails
    endif()
    set(QTPSK_SANITIZE_LINK_FLAGS -fsanitize=${QTPSK_SANITIZE})
    add_compile_options(${QTPSK_SANITIZE_COMPILE_FLAGS})
    add_link_options(${QTPSK_SANITIZE_LINK_FLAGS})
endif()

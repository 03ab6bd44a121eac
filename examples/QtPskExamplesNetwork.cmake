# Which network library the example programs link. Included by examples/CMakeLists.txt and by
# tests/examples/CMakeLists.txt (which CMake reads first). Sets:
#   QTPSK_EXAMPLES_NETWORK_LIBRARY  QtPsk::QtPsk, or Qt6::Network with the option below
#   QTPSK_EXAMPLES_PROGRAMS         ON when pskclient and pskserver can be built
#   QTPSK_EXAMPLES_MISSING_CLASSES  otherwise, the classes the library does not provide yet
include_guard(DIRECTORY)

option(QTPSK_EXAMPLES_AGAINST_QTNETWORK
    "Development aid, not for use: build the example programs against Qt6::Network instead of \
QtPsk, to compare QtPsk's behaviour with Qt's own. The QtPsk library never links Qt6::Network." OFF)

if(QTPSK_EXAMPLES_AGAINST_QTNETWORK)
    find_package(Qt6 6.4 REQUIRED COMPONENTS Network)
    set(QTPSK_EXAMPLES_NETWORK_LIBRARY Qt6::Network)
    set(QTPSK_EXAMPLES_PROGRAMS ON)
else()
    set(QTPSK_EXAMPLES_NETWORK_LIBRARY QtPsk::QtPsk)
    # The programs use these classes; skip them while the library does not provide them all yet.
    get_target_property(_qtpsk_headers QtPsk HEADER_SET)
    set(QTPSK_EXAMPLES_PROGRAMS ON)
    set(QTPSK_EXAMPLES_MISSING_CLASSES)
    foreach(_class IN ITEMS QSsl QSslSocket QSslServer QSslConfiguration QSslCipher
                            QSslPreSharedKeyAuthenticator QHostAddress)
        if(NOT "${PROJECT_SOURCE_DIR}/include/QtPsk/${_class}" IN_LIST _qtpsk_headers)
            set(QTPSK_EXAMPLES_PROGRAMS OFF)
            list(APPEND QTPSK_EXAMPLES_MISSING_CLASSES ${_class})
        endif()
    endforeach()
    unset(_qtpsk_headers)
endif()

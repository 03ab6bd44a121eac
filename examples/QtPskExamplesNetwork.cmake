# Which network library the example programs link: QTPSK_EXAMPLES_NETWORK_LIBRARY is QtPsk::QtPsk,
# or Qt6::Network with the option below. Included by examples/CMakeLists.txt and by
# tests/examples/CMakeLists.txt (which CMake reads first).
include_guard(DIRECTORY)

option(QTPSK_EXAMPLES_AGAINST_QTNETWORK
    "Development aid, not for use: build the example programs against Qt6::Network instead of \
QtPsk, to compare QtPsk's behaviour with Qt's own. The QtPsk library never links Qt6::Network." OFF)

if(QTPSK_EXAMPLES_AGAINST_QTNETWORK)
    find_package(Qt6 6.4 REQUIRED COMPONENTS Network)
    set(QTPSK_EXAMPLES_NETWORK_LIBRARY Qt6::Network)
else()
    set(QTPSK_EXAMPLES_NETWORK_LIBRARY QtPsk::QtPsk)
endif()

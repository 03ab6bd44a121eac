include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QTPSK_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/QtPsk")

# QtNetwork's spellings (default build only): include/QtPsk/compat/QtNetwork/, an include root.
if(NOT QTPSK_NAMESPACE)
    set(qtpsk_install_qtnetwork_headers
        FILE_SET qtnetwork_headers DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/QtPsk/compat)
endif()

install(TARGETS QtPsk
    EXPORT QtPskTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILE_SET generated_headers DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    ${qtpsk_install_qtnetwork_headers})

install(EXPORT QtPskTargets
    NAMESPACE QtPsk::
    DESTINATION ${QTPSK_CMAKE_DIR})

configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/QtPskConfig.cmake.in
    ${PROJECT_BINARY_DIR}/QtPskConfig.cmake
    INSTALL_DESTINATION ${QTPSK_CMAKE_DIR})
write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/QtPskConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)

install(FILES
    ${PROJECT_BINARY_DIR}/QtPskConfig.cmake
    ${PROJECT_BINARY_DIR}/QtPskConfigVersion.cmake
    DESTINATION ${QTPSK_CMAKE_DIR})

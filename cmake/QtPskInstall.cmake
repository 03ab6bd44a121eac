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
    ${PROJECT_BINARY_DIR}/install/QtPskConfig.cmake
    INSTALL_DESTINATION ${QTPSK_CMAKE_DIR})
# While the version is 0.x a minor release may change the API: 0.1.x satisfies a request for 0.1
# only. From 1.0 on, any later version of the same major one does.
if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(qtpsk_version_compatibility SameMinorVersion)
else()
    set(qtpsk_version_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/QtPskConfigVersion.cmake
    COMPATIBILITY ${qtpsk_version_compatibility})

install(FILES
    ${PROJECT_BINARY_DIR}/install/QtPskConfig.cmake
    ${PROJECT_BINARY_DIR}/QtPskConfigVersion.cmake
    DESTINATION ${QTPSK_CMAKE_DIR})

# The build tree as a package too: another project configured with -DQtPsk_DIR=<this build
# directory> gets QtPsk::QtPsk from here (the library built here, the headers of the source tree).
export(EXPORT QtPskTargets
    NAMESPACE QtPsk::
    FILE ${PROJECT_BINARY_DIR}/QtPskTargets.cmake)
configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/QtPskConfig.cmake.in
    ${PROJECT_BINARY_DIR}/QtPskConfig.cmake
    INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
    INSTALL_PREFIX ${PROJECT_BINARY_DIR})

# Packaging tests, run by CTest as `cmake -D STEP=<step> ... -P packaging_test.cmake`.
#   STEP=find_package      install BUILD_DIR into a prefix, build the consumer with find_package(QtPsk),
#                          run it and compare its output with REFERENCE_OUTPUT (the Qt6::Network build);
#                          also check the install tree holds only public headers, the package files and
#                          the library.
#   STEP=add_subdirectory  build the consumer with add_subdirectory(SOURCE_DIR) and compare its output.
#   STEP=reference         build the consumer against Qt6::Network and write REFERENCE_OUTPUT.
#   STEP=namespace         build and install QtPsk with QTPSK_NAMESPACE=QtPskNs, then build and run a
#                          program that uses it beside Qt6::Network; then check that the default install
#                          refuses to compile beside Qt6::Network with an #error naming QTPSK_NAMESPACE.
cmake_minimum_required(VERSION 3.25)

foreach(var STEP SOURCE_DIR WORK_DIR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "packaging_test.cmake needs -D ${var}=...")
    endif()
endforeach()
set(consumer_src ${SOURCE_DIR}/tests/packaging/consumer)
file(REMOVE_RECURSE ${WORK_DIR}/${STEP})
file(MAKE_DIRECTORY ${WORK_DIR}/${STEP})
set(work ${WORK_DIR}/${STEP})

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
endfunction()

# Configures, builds and runs the consumer in \a mode; the program's output goes to \a out_var.
function(build_consumer mode out_var)
    set(bdir ${work}/consumer-${mode})
    run(${CMAKE_COMMAND} -S ${consumer_src} -B ${bdir} -DCONSUMER_MODE=${mode}
        -DQTPSK_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release ${ARGN})
    run(${CMAKE_COMMAND} --build ${bdir} --parallel 2)
    if(mode STREQUAL "mixed")
        set(program ${bdir}/mixed_consumer)
    else()
        set(program ${bdir}/authenticator_consumer)
    endif()
    execute_process(COMMAND ${program} RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${program} exited with ${rc}\n${output}\n${err}")
    endif()
    set(${out_var} "${output}" PARENT_SCOPE)
endfunction()

function(compare_with_reference output)
    file(READ ${REFERENCE_OUTPUT} reference)
    if(NOT output STREQUAL reference)
        message(FATAL_ERROR "output differs from the Qt6::Network build\n--- QtPsk:\n${output}\n--- Qt6::Network:\n${reference}")
    endif()
    message(STATUS "identical to the Qt6::Network build:\n${output}")
endfunction()

if(STEP STREQUAL "reference")
    build_consumer(qtnetwork output)
    file(WRITE ${REFERENCE_OUTPUT} "${output}")
    message(STATUS "reference output:\n${output}")

elseif(STEP STREQUAL "find_package")
    set(prefix ${work}/prefix)
    run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
    # The install tree: the package files, the library, and public headers only.
    foreach(required lib/cmake/QtPsk/QtPskConfig.cmake lib/cmake/QtPsk/QtPskConfigVersion.cmake
                     lib/cmake/QtPsk/QtPskTargets.cmake include/QtPsk/qtpskglobal.h
                     include/QtPsk/qsslpresharedkeyauthenticator.h
                     include/QtPsk/QSslPreSharedKeyAuthenticator include/QtPsk/qtpskexports.h
                     include/QtPsk/qtpskconfig.h)
        if(NOT EXISTS ${prefix}/${required})
            message(FATAL_ERROR "install tree lacks ${required}")
        endif()
    endforeach()
    file(GLOB libraries ${prefix}/lib/libQtPsk.so*)
    if(NOT libraries)
        message(FATAL_ERROR "install tree lacks the library")
    endif()
    file(GLOB_RECURSE private_headers ${prefix}/*_p.h)
    file(GLOB_RECURSE sources ${prefix}/*.cpp)
    if(private_headers OR sources)
        message(FATAL_ERROR "install tree holds internal files: ${private_headers} ${sources}")
    endif()
    file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*)
    foreach(header IN LISTS headers)
        if(NOT header MATCHES "^QtPsk/")
            message(FATAL_ERROR "header installed outside include/QtPsk: ${header}")
        endif()
    endforeach()
    build_consumer(find_package output -DCMAKE_PREFIX_PATH=${prefix})
    compare_with_reference("${output}")

elseif(STEP STREQUAL "add_subdirectory")
    build_consumer(add_subdirectory output)
    compare_with_reference("${output}")

elseif(STEP STREQUAL "namespace")
    set(lib_build ${work}/qtpsk-namespaced)
    set(prefix ${work}/prefix-namespaced)
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${lib_build} -DCMAKE_BUILD_TYPE=Release
        -DQTPSK_NAMESPACE=QtPskNs -DQTPSK_BUILD_TESTS=OFF -DQTPSK_BUILD_EXAMPLES=OFF -DQTPSK_INSTALL=ON)
    run(${CMAKE_COMMAND} --build ${lib_build} --parallel 2)
    run(${CMAKE_COMMAND} --install ${lib_build} --prefix ${prefix})
    build_consumer(mixed output -DCMAKE_PREFIX_PATH=${prefix})
    message(STATUS "namespaced QtPsk beside Qt6::Network: ${output}")

    # The default build must refuse to compile beside Qt6::Network, naming the option.
    set(default_prefix ${work}/prefix-default)
    run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${default_prefix})
    set(bdir ${work}/consumer-clash)
    run(${CMAKE_COMMAND} -S ${consumer_src} -B ${bdir} -DCONSUMER_MODE=clash
        -DCMAKE_PREFIX_PATH=${default_prefix})
    execute_process(COMMAND ${CMAKE_COMMAND} --build ${bdir}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc EQUAL 0)
        message(FATAL_ERROR "a default QtPsk build compiled beside Qt6::Network; it must stop with #error")
    endif()
    if(NOT "${out}${err}" MATCHES "#error.*QTPSK_NAMESPACE")
        message(FATAL_ERROR "the compile failed without the #error that names QTPSK_NAMESPACE:\n${out}\n${err}")
    endif()
    message(STATUS "default build refused beside Qt6::Network with the #error naming QTPSK_NAMESPACE")
else()
    message(FATAL_ERROR "unknown STEP '${STEP}'")
endif()

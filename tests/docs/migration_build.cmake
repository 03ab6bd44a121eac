# The build half of docs/migrating-from-qtnetwork.md, done as an outside developer would:
#   cmake -D SOURCE_DIR=... -D BUILD_DIR=... -D WORK_DIR=... [-D QT_NETWORK=ON]
#         [-D CONSUMER_CXX_FLAGS=... -D CONSUMER_LINKER_FLAGS=...] -P migration_build.cmake
# 1. runs the guide's install recipe (migrate-install), with BUILD_DIR for build/default and
#    WORK_DIR/prefix for /opt/qtpsk;
# 2. copies the program's sources and its "after" CMakeLists.txt into WORK_DIR/app, a project
#    outside the QtPsk tree, and runs the guide's build recipe (migrate-build) there;
# 3. with QT_NETWORK, builds the unchanged sources against Qt6::Network ("before") in WORK_DIR/before.
# The sanitizer flags of the QtPsk build reach the outside builds through CXXFLAGS/LDFLAGS, which
# CMake reads on a first configure. migration_guide_test then runs the programs.
cmake_minimum_required(VERSION 3.25)
foreach(var SOURCE_DIR BUILD_DIR WORK_DIR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "migration_build.cmake needs -D ${var}=...")
    endif()
endforeach()

set(guide ${SOURCE_DIR}/docs/migrating-from-qtnetwork.md)
file(READ ${guide} text)

# The body of the fenced block after `<!-- recipe: name -->`.
function(recipe name out_var)
    string(FIND "${text}" "<!-- recipe: ${name} -->\n```" start)
    if(start EQUAL -1)
        message(FATAL_ERROR "${guide} has no recipe ${name}")
    endif()
    string(SUBSTRING "${text}" ${start} -1 rest)
    string(FIND "${rest}" "\n" eol)         # end of the marker line
    math(EXPR eol "${eol} + 1")
    string(SUBSTRING "${rest}" ${eol} -1 rest)
    string(FIND "${rest}" "\n" eol)         # end of the opening fence
    math(EXPR eol "${eol} + 1")
    string(SUBSTRING "${rest}" ${eol} -1 rest)
    string(FIND "${rest}" "```" end)
    string(SUBSTRING "${rest}" 0 ${end} body)
    set(${out_var} "${body}" PARENT_SCOPE)
endfunction()

function(run_script dir script)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env
                        "CXXFLAGS=${CONSUMER_CXX_FLAGS}" "LDFLAGS=${CONSUMER_LINKER_FLAGS}"
                        /bin/bash -euc "${script}"
                    WORKING_DIRECTORY ${dir}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}) in ${dir}:\n${script}\n${out}\n${err}")
    endif()
    message(STATUS "ran in ${dir}:\n${script}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/app)
set(prefix ${WORK_DIR}/prefix)

# 1. Install QtPsk (the guide's command; this tree's build instead of build/default).
recipe(migrate-install install)
string(REPLACE "build/default" "${BUILD_DIR}" install "${install}")
string(REPLACE "/opt/qtpsk" "${prefix}" install "${install}")
run_script(${SOURCE_DIR} "${install}")

# 2. The developer's project: the example's sources and its QtPsk CMakeLists.txt, nothing else.
foreach(file CMakeLists.txt main.cpp authmanager.cpp authmanager.h)
    file(COPY ${SOURCE_DIR}/examples/authmanager/${file} DESTINATION ${WORK_DIR}/app)
endforeach()
recipe(migrate-build build)
string(REPLACE "/opt/qtpsk" "${prefix}" build "${build}")
run_script(${WORK_DIR}/app "${build}")
if(NOT EXISTS ${WORK_DIR}/app/build/authmanager)
    message(FATAL_ERROR "the guide's build produced no build/authmanager")
endif()

# 3. The same sources against Qt6::Network.
if(QT_NETWORK)
    run_script(${WORK_DIR}
        "cmake -S '${SOURCE_DIR}/examples/authmanager/qtnetwork' -B before\ncmake --build before")
endif()

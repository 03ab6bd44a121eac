# Renders the interop matrix: reads every <test>.row file in RESULTS_DIR (one tab-separated line
# each, written by the interop tests), sorts the rows, and writes TEMPLATE with @INTEROP_TABLE@
# replaced to OUTPUT. Sorted and free of timings, so the same results give the same file.
# cmake -DRESULTS_DIR=... -DTEMPLATE=... -DOUTPUT=... -P render_interop.cmake
foreach(variable RESULTS_DIR TEMPLATE OUTPUT)
    if(NOT DEFINED ${variable})
        message(FATAL_ERROR "render_interop.cmake: ${variable} is not set")
    endif()
endforeach()

file(GLOB row_files "${RESULTS_DIR}/*.row")
if(NOT row_files)
    message(FATAL_ERROR "render_interop.cmake: no result rows in ${RESULTS_DIR}")
endif()

set(rows "")
foreach(row_file IN LISTS row_files)
    file(READ "${row_file}" line)
    string(STRIP "${line}" line)
    # Semicolons would split the CMake list: protect them.
    string(REPLACE ";" "," line "${line}")
    string(REPLACE "\t" " | " line "${line}")
    list(APPEND rows "| ${line} |")
endforeach()
list(SORT rows)
list(REMOVE_DUPLICATES rows)
list(LENGTH rows row_count)

set(INTEROP_TABLE "| Peer | QtPsk is | Protocol asked | Cipher | Scenario | Address | Outcome | Fatal alert | PSK emissions | Changes with issue 5 |\n")
string(APPEND INTEROP_TABLE "|---|---|---|---|---|---|---|---|---|---|\n")
foreach(row IN LISTS rows)
    string(APPEND INTEROP_TABLE "${row}\n")
endforeach()
set(INTEROP_ROW_COUNT ${row_count})

configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY NEWLINE_STYLE UNIX)
message(STATUS "render_interop.cmake: ${row_count} rows written to ${OUTPUT}")

# SPDX-License-Identifier: MIT
# Regenerate proto/ into OUT and fail when gen/ differs.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${PROTOC_C} --c_out=${OUT} -I${SRC}/proto ${SRC}/proto/au.proto
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protoc-c failed on proto/au.proto")
endif()
foreach(f au.pb-c.c au.pb-c.h)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/${f} ${SRC}/gen/${f}
    RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "gen/${f} is stale: run `make gen` and commit gen/")
  endif()
endforeach()
message(STATUS "gen/ matches proto/")

# Fails when a public header holds a declaration that OpenCV's Python binding generator
# (modules/python/src2/hdr_parser.py, OpenCV 4.6) misreads, so that the standalone build's
# CTest catches what otherwise only the in-tree build with python3 (too slow for CI) shows:
#
#  * a CV_PROP / CV_PROP_RW member with an initialiser: `CV_PROP_RW int iterations = 5;` becomes a
#    Python property named "iterations = 5" and the generated bindings do not compile. Set the
#    default in the struct's CV_WRAP constructor instead.
#
# Usage: cmake -DINCLUDE_DIR=<repo>/include -P tools/check_python_annotations.cmake
if(NOT INCLUDE_DIR)
  message(FATAL_ERROR "pass -DINCLUDE_DIR=<folder of the public headers>")
endif()
file(GLOB_RECURSE headers "${INCLUDE_DIR}/*.hpp")
set(bad "")
foreach(h ${headers})
  # A property declaration up to its ';' (comments after it are not looked at).
  file(STRINGS "${h}" props REGEX "CV_PROP(_RW)?[ \t]")
  foreach(line ${props})
    string(REGEX REPLACE "//.*$" "" decl "${line}")
    if(decl MATCHES "=")
      file(RELATIVE_PATH rel "${INCLUDE_DIR}" "${h}")
      string(STRIP "${decl}" decl)
      string(APPEND bad "\n  ${rel}: ${decl}")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "member initialisers on CV_PROP members (hdr_parser.py reads them as part of the "
                      "property name; set the default in the CV_WRAP constructor):${bad}")
endif()
list(LENGTH headers n)
message(STATUS "Python binding annotations: ${n} headers OK")

# Installation of the standalone build: headers, the library, a CMake package (find_package(escrf)
# gives the imported target escrf::escrf) and a pkg-config file (escrf.pc).
# Included by CMakeLists.txt after the opencv_escrf target is defined; samples/consumer/ is the
# project that builds against the result (tools/check_package.sh runs it).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Headers go next to OpenCV's own (include/opencv4/opencv2/...), so #include <opencv2/escrf.hpp>
# works with the same include folder for both.
set(ESCRF_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/opencv4")
set(ESCRF_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/escrf")

target_include_directories(opencv_escrf PUBLIC $<INSTALL_INTERFACE:${ESCRF_INSTALL_INCLUDEDIR}>)
install(TARGETS opencv_escrf EXPORT escrfTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ DESTINATION ${ESCRF_INSTALL_INCLUDEDIR})

# The OpenCV components the library links publicly; escrfConfig.cmake finds them again with
# find_dependency, so that escrf::escrf carries them to consumers.
set(ESCRF_OPENCV_COMPONENTS core imgproc imgcodecs dnn ximgproc)
set(ESCRF_OPENCV_MIN_VERSION 4.6)
install(EXPORT escrfTargets NAMESPACE escrf:: FILE escrfTargets.cmake
        DESTINATION ${ESCRF_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/escrfConfig.cmake.in
        "${CMAKE_CURRENT_BINARY_DIR}/escrfConfig.cmake"
        INSTALL_DESTINATION ${ESCRF_INSTALL_CMAKEDIR})
# 0.x releases promise nothing across minor versions: SameMinorVersion.
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/escrfConfigVersion.cmake"
        VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/escrfConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/escrfConfigVersion.cmake"
        DESTINATION ${ESCRF_INSTALL_CMAKEDIR})

# pkg-config: OpenCV's own opencv4.pc supplies OpenCV's flags and libraries. The prefix is
# relative to the .pc file, so `cmake --install --prefix <any folder>` gives a valid file.
file(RELATIVE_PATH ESCRF_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(cmake/escrf.pc.in "${CMAKE_CURRENT_BINARY_DIR}/escrf.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/escrf.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

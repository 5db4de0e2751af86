/* libfastmath: the native half of the example's "fastmath" package, loaded
 * with ctypes from /opt/lib (a layer's lib/ is on LD_LIBRARY_PATH). */
#include <stddef.h>

double fastmath_total(const double *values, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    return sum;
}

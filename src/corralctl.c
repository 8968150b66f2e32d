#include "corral-config.h"
#include <stdio.h>

int main(void) {
        printf("corralctl %s\n", CORRAL_VERSION);
        return 0;
}

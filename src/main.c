#include "corral-config.h"
#include <stdio.h>

int main(void) {
        printf("corral %s\n", CORRAL_VERSION);
        return 0;
}

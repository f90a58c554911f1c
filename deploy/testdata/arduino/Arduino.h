/*
 * A stand-in for the Arduino core's Arduino.h, just enough for deploy's
 * tests to compile a generated library's sketch as C++ (the Arduino IDE
 * includes the real one): micros, delay and Serial's print calls.
 */
#ifndef TI_TEST_ARDUINO_H
#define TI_TEST_ARDUINO_H

#include <stdint.h>

unsigned long micros(void);
void delay(unsigned long ms);

struct TestSerial {
	void begin(unsigned long baud);
	void print(const char *s);
	void print(unsigned long v);
	void println(const char *s);
	void println(double v, int digits);
};

extern TestSerial Serial;

#endif

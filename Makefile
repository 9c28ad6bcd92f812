# Everyday commands. Each finds a JDK 21+ by itself (scripts/lib/jdk.sh).
.PHONY: test build format bench clean

test:            ## every test, formatting and compiler checks (what CI runs)
	./scripts/test

build:           ## compile and package without tests
	./scripts/test -DskipTests -Dspotless.check.skip=true

format:          ## rewrite sources to google-java-format
	. scripts/lib/jdk.sh && JAVA_HOME=$$(find_jdk) mvn -B -q spotless:apply

bench:           ## JMH benchmarks beside twilio-java; results in bench/results/
	./bench/run-jmh

clean:
	. scripts/lib/jdk.sh && JAVA_HOME=$$(find_jdk) mvn -B -q clean

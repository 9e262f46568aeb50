import { parse } from "yaml";
import { z } from "zod";
console.log(parse("a: 1"), z.string().parse("x"));

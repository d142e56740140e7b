import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** Publishes the OpenAPI document at `/api/docs-json` and its viewer at `/api/docs`. */
export function setupOpenApi(app: NestFastifyApplication, version: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bastion API')
      .setDescription(
        'Session cookie auth; state-changing requests send the x-csrf-token header. ' +
          'Errors are {statusCode,error,message,correlationId}.',
      )
      .setVersion(version)
      .build(),
  );
  SwaggerModule.setup('api/docs', app, cleanupOpenApiDoc(document));
}

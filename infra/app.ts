import { App } from 'aws-cdk-lib';
import { defineService } from './service.ts';

// `npx cdk deploy` (AWS) or `npm run deploy:local` (LocalStack): configuration in README "Deploying".
defineService(new App());
